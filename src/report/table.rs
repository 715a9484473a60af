//! Aligned text tables and terminal bars. Cells holding log text must already have gone
//! through `text::terminal`; the table only measures and pads.

use std::fmt::Write as _;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
    /// The widest a left-aligned column may get; longer cells are cut with `…`.
    max_width: usize,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `max` characters, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
            max_width: 72,
        }
    }

    pub fn max_width(mut self, w: usize) -> Table {
        self.max_width = w;
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, each line indented by `indent` spaces.
    pub fn render(&self, indent: usize, out: &mut String) {
        let n = self.headers.len();
        // Every row has exactly one cell per column (missing cells are empty).
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                self.align
                    .iter()
                    .enumerate()
                    .map(|(i, align)| {
                        let c = r.get(i).map(String::as_str).unwrap_or("");
                        if *align == Align::Left {
                            cut(c, self.max_width)
                        } else {
                            c.to_string()
                        }
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &cells {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let line = |cells: &[String], out: &mut String| {
            let mut s = " ".repeat(indent);
            for (i, ((c, w), align)) in cells.iter().zip(&widths).zip(&self.align).enumerate() {
                let pad = w.saturating_sub(width(c));
                let last = i + 1 == n;
                match align {
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                    Align::Left => {
                        s.push_str(c);
                        if !last {
                            s.push_str(&" ".repeat(pad));
                        }
                    }
                }
                if !last {
                    s.push_str("  ");
                }
            }
            let _ = writeln!(out, "{}", s.trim_end());
        };
        line(&self.headers, out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, out);
        for r in &cells {
            line(r, out);
        }
    }
}

/// A stacked bar of `parts` (count, glyph), scaled so that `max` fills `width` characters.
/// Any non-zero part gets at least one glyph.
pub fn bar(parts: &[(u64, char)], max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    for &(n, glyph) in parts {
        if n == 0 {
            continue;
        }
        let len = ((n as f64 / max as f64) * width as f64).round().max(1.0) as usize;
        out.extend(std::iter::repeat_n(glyph, len));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_cut() {
        let mut t = Table::new(&[("n", Align::Right), ("what", Align::Left)]).max_width(8);
        t.row(vec!["5".into(), "short".into()]);
        t.row(vec!["120".into(), "a much longer text".into()]);
        let mut out = String::new();
        t.render(2, &mut out);
        assert_eq!(
            out,
            "    n  what\n  ---  --------\n    5  short\n  120  a much …\n"
        );
        assert_eq!(bar(&[(10, '#'), (1, '+')], 10, 10), "##########+");
    }
}
