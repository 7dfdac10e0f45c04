//! Reading the raw configuration from TOML (host side).

use crate::raw::RawSystem;
use core::fmt;

/// A TOML file that does not fit the schema: the message of the TOML
/// parser, with line and column, naming the key at fault.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration: {}", self.0.trim_end())
    }
}

impl std::error::Error for ParseError {}

impl RawSystem {
    /// Parses a configuration file's text. Unknown keys are refused.
    pub fn from_toml(text: &str) -> Result<RawSystem, ParseError> {
        ::toml::from_str(text).map_err(|e| ParseError(e.to_string()))
    }

    /// Reads and parses a configuration file.
    #[cfg(feature = "host")]
    pub fn load(path: &std::path::Path) -> Result<RawSystem, ParseError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ParseError(format!("{}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ParseError(format!("{}: {}", path.display(), e.0)))
    }
}
