//! The gRPC edge: generated protobuf types ([`pb`]), conversions to and from
//! the core types ([`convert`]), the one error → status map ([`status`]), and
//! thin handlers ([`service`]) that run the index's CPU work off the async
//! reactor.

pub mod convert;
pub mod service;
pub mod status;
mod workers;

/// Generated protobuf and tonic code for `syndetect.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("syndetect.v1");

    /// The encoded file descriptor set of `syndetect.v1`, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/syndetect_descriptor.bin"));
}

pub use service::SyndetectService;
