//! The library's one error type. The gRPC layer maps each variant to one
//! status code (`grpc::status`); the messages are written for the caller.

/// Everything a request to the index can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request carried no article.
    #[error("the request has no article: set the `article` field")]
    MissingArticle,
    /// `Article.id` is empty.
    #[error("article id is empty: set Article.id to your key for the article, such as its canonical URL")]
    EmptyId,
    /// `Article.id` is longer than the limit.
    #[error("article id is {len} bytes long; the limit is {max} bytes")]
    IdTooLong {
        /// Length of the id sent.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The text is empty or only whitespace.
    #[error("article {id:?} has no text: Article.text is empty or only whitespace")]
    EmptyText {
        /// The article's id.
        id: String,
    },
    /// The text has no word once normalized (only punctuation or markup).
    #[error("article {id:?} has no words once normalized (only punctuation, symbols or markup): nothing to compare")]
    NoWords {
        /// The article's id.
        id: String,
    },
    /// Title plus text exceed the size limit.
    #[error("article {id:?} is {len} bytes of text; the limit is {max} bytes (the server's --max-text-bytes)")]
    TextTooLarge {
        /// The article's id.
        id: String,
        /// Bytes of title plus text sent.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An article with this id is held with different text.
    #[error("article {id:?} is already held with different text; Remove it first to replace it, or use a new id")]
    AlreadyExists {
        /// The article's id.
        id: String,
    },
    /// No article with this id is held.
    #[error("no article with id {id:?} is held")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// A per-request option is out of range.
    #[error("option {name} = {value} is out of range: {expected}")]
    InvalidOption {
        /// The option's field name.
        name: &'static str,
        /// The value sent.
        value: f64,
        /// What is accepted.
        expected: &'static str,
    },
    /// The write-ahead log could not be written: the change was not made.
    #[error("cannot write the write-ahead log ({0}); the change was not made. Check the data directory's disk, then restart the service")]
    Log(String),
    /// A bug or a broken invariant: the request changed nothing.
    #[error("internal error: {0}; the index was not changed")]
    Internal(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
