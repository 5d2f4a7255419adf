//! Whether output is coloured, decided once per stream: `--color`, then the environment
//! (`NO_COLOR`, `FORCE_COLOR`, `CLICOLOR_FORCE`), then whether the stream is a terminal.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set; `FORCE_COLOR` or `CLICOLOR_FORCE`
    /// force it where there is no terminal (CI logs).
    #[default]
    Auto,
    /// Always colour, whatever the environment says.
    Always,
    /// Never colour.
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the run's `--color` (once, before any output).
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

fn choice() -> ColorChoice {
    CHOICE.get().copied().unwrap_or_default()
}

/// Colour on standard output; `to_file`: the report goes to a file (`--output`), which only
/// `--color always` colours.
pub fn stdout(to_file: bool) -> bool {
    if to_file {
        return choice() == ColorChoice::Always;
    }
    decide(choice(), env, std::io::stdout().is_terminal())
}

/// Colour on standard error.
pub fn stderr() -> bool {
    decide(choice(), env, std::io::stderr().is_terminal())
}

fn env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The decision, given the choice, the environment and whether the stream is a terminal.
/// A variable counts when set and not empty; `FORCE_COLOR=0` (or `false`) forces nothing.
/// `NO_COLOR` wins over the forcing variables, and `--color` over all of them
/// (https://no-color.org, https://force-color.org, https://bixense.com/clicolors/).
fn decide(choice: ColorChoice, env: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let forced = |name: &str| {
        env(name).is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
    };
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto => terminal || forced("FORCE_COLOR") || forced("CLICOLOR_FORCE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_follows_the_terminal_and_the_environment() {
        use ColorChoice::*;
        assert!(decide(Auto, with(&[]), true));
        assert!(!decide(Auto, with(&[]), false));
        assert!(!decide(Auto, with(&[("NO_COLOR", "1")]), true));
        assert!(
            decide(Auto, with(&[("NO_COLOR", "")]), true),
            "empty counts as unset"
        );
        assert!(decide(Auto, with(&[("FORCE_COLOR", "1")]), false));
        assert!(decide(Auto, with(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!decide(Auto, with(&[("FORCE_COLOR", "0")]), false));
        assert!(!decide(
            Auto,
            with(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]),
            false
        ));
    }

    #[test]
    fn the_flag_wins_over_everything() {
        use ColorChoice::*;
        assert!(decide(Always, with(&[("NO_COLOR", "1")]), false));
        assert!(!decide(Never, with(&[("FORCE_COLOR", "1")]), true));
    }
}
