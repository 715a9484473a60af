//! output: how messages reach the user — text for people (escaped, coloured only on a
//! terminal), JSON and CSV for programs.

pub mod csv;
pub mod json;
pub mod text;
pub mod verdict;

use std::io::IsTerminal;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Colour on a terminal only, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    /// A status word, coloured by what it means for the mail: green delivered, yellow waiting,
    /// red failed. `width` pads before colouring so columns line up.
    pub fn status(&self, word: &str, width: usize) -> String {
        let padded = format!("{word:<width$}");
        let code = match word {
            "sent" | "deliverable" => "32",
            "deferred" | "queued" | "held" | "mixed" | "requeued" => "33",
            "bounced" | "expired" | "force-expired" | "undeliverable" | "rejected" => "31",
            _ => "35",
        };
        self.paint(code, &padded)
    }
}
