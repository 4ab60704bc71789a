//! The one map from library errors to gRPC status codes.

use tonic::{Code, Status};

use crate::error::Error;

/// The gRPC code for an error.
pub fn code(err: &Error) -> Code {
    match err {
        Error::MissingArticle
        | Error::EmptyId
        | Error::IdTooLong { .. }
        | Error::EmptyText { .. }
        | Error::NoWords { .. }
        | Error::InvalidOption { .. } => Code::InvalidArgument,
        Error::TextTooLarge { .. } => Code::ResourceExhausted,
        Error::AlreadyExists { .. } => Code::AlreadyExists,
        Error::NotFound { .. } => Code::NotFound,
        Error::Log(_) => Code::Unavailable,
        Error::Internal(_) => Code::Internal,
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        Status::new(code(&err), err.to_string())
    }
}
