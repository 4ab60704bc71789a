//! Reading labeled JSONL streams (the format of `eval/README.md`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use crate::model::Article;

/// One line of a labeled stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LabeledArticle {
    /// Opaque article id.
    pub id: String,
    /// Headline.
    #[serde(default)]
    pub title: String,
    /// Scraped text.
    pub text: String,
    /// Site.
    #[serde(default)]
    pub source: String,
    /// Articles sharing a cluster are copies of one underlying text.
    #[serde(default)]
    pub cluster: String,
    /// `copy` or `distinct`.
    #[serde(default)]
    pub expect: String,
    /// How the copy was made (`+`-joined kinds) or `original`.
    #[serde(default)]
    pub variant: String,
    /// Hard-negative group (`event:X`, `wrap:SITE`), or empty.
    #[serde(default)]
    pub group: String,
    /// Not scored.
    #[serde(default)]
    pub ignore: bool,
    /// Unix seconds, if given.
    #[serde(default)]
    pub published_at: i64,
}

impl LabeledArticle {
    /// The article as a scraper would send it.
    pub fn to_article(&self) -> Article {
        Article {
            id: self.id.clone(),
            text: self.text.clone(),
            title: self.title.clone(),
            source: self.source.clone(),
            published_at: self.published_at,
        }
    }
}

/// Why a stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is not a labeled article.
    #[error("{path}:{line}: not a labeled article: {source}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// Reads every non-blank line of a JSONL stream.
pub fn read_jsonl(path: &Path) -> Result<Vec<LabeledArticle>, CorpusError> {
    let name = path.display().to_string();
    let io = |source| CorpusError::Io {
        path: name.clone(),
        source,
    };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let article = serde_json::from_str(&line).map_err(|source| CorpusError::Parse {
            path: name.clone(),
            line: i + 1,
            source,
        })?;
        out.push(article);
    }
    Ok(out)
}
