//! The bounds on what one YAML file may cost: nesting depth, string length, and the nodes
//! and bytes alias expansion creates (an alias bomb is an error, not an out-of-memory).

use super::builder::Builder;
use crate::error::{ErrorKind, LoadError};
use crate::source::Span;

impl Builder<'_> {
    pub(super) fn too_deep(&self, span: Span) -> LoadError {
        LoadError::at(
            ErrorKind::TooDeep,
            self.src,
            span,
            format!("nesting deeper than {} levels", self.limits.max_depth),
            "too deep",
        )
        .with_help("raise the limit with --max-depth if this document is genuine")
    }

    pub(super) fn count_node(&mut self, span: Span, text_len: usize) -> Result<(), LoadError> {
        if text_len > self.limits.max_string_len {
            return Err(LoadError::string_too_long(
                self.src,
                span.start as usize,
                text_len,
                self.limits.max_string_len,
            ));
        }
        if self.expanding > 0 {
            self.alias_nodes += 1;
            self.alias_bytes = self.alias_bytes.saturating_add(text_len);
            let message = if self.alias_bytes > self.limits.max_alias_bytes {
                format!(
                    "aliases expand to more than {} bytes of text (an alias bomb?)",
                    self.limits.max_alias_bytes
                )
            } else if self.alias_nodes > self.limits.max_alias_nodes {
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?)",
                    self.limits.max_alias_nodes
                )
            } else {
                return Ok(());
            };
            let mut error = LoadError::at(
                ErrorKind::AliasLimit,
                self.src,
                self.alias_site,
                message,
                "expanding this alias",
            )
            .with_help(
                "CloudFormation does not need YAML aliases: write the values out, or raise the \
                 limit with --max-alias-nodes N if the expansion is genuine",
            );
            if span != self.alias_site {
                error = error.with_related(span, "the limit is reached here");
            }
            return Err(error);
        }
        Ok(())
    }
}
