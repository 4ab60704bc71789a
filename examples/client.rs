//! A minimal client: ingests two articles and prints the verdicts.
//!
//! Start the service (`cargo run --release -- serve`), then:
//! `cargo run --example client -- http://127.0.0.1:50051`

use syndetect::grpc::pb::{
    syndetect_client::SyndetectClient, verdict::Kind, Article, IngestRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:50051".into());
    let mut client = SyndetectClient::connect(addr).await?;
    let story = "Kremlin spokesperson Dmitry Peskov said on Sunday that no call between the two \
                 presidents is scheduled, dismissing the report as speculation and outright lies.";
    for (id, text) in [
        ("https://wire.example/story-1", story.to_string()),
        (
            "https://site.example/copy-1",
            format!("Home | World | Sport\n{story}\nShare this article"),
        ),
    ] {
        let article = Article {
            id: id.into(),
            text,
            ..Default::default()
        };
        let verdict = client
            .ingest(IngestRequest {
                article: Some(article),
                options: None,
            })
            .await?
            .into_inner();
        let kind = Kind::try_from(verdict.kind).unwrap_or(Kind::Unspecified);
        println!(
            "{id}: {kind:?}, canonical {}, best match {:?}",
            verdict.canonical_id, verdict.best_match
        );
    }
    Ok(())
}
