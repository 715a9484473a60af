//! The catalogues: every text `explain` prints, one table per language.
//!
//! A text is a template: `{name}` is replaced by a value (a field of the event, or another
//! rendered text), and a section in `[[ … ]]` is left out when a value it names is absent — so
//! that one template serves a line with or without, say, a `size=`.

mod en;
mod ja;

use std::collections::HashMap;

/// The language of the explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// The language a POSIX locale name asks for: `ja_JP.UTF-8`, `ja` → Japanese; anything
    /// else (including `C` and `POSIX`) → English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }

    /// The language of the environment: the first non-empty of `LC_ALL`, `LC_MESSAGES` and
    /// `LANG`, as POSIX orders them; English when none is set.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| get(name))
            .find(|v| !v.is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or(Lang::En)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The catalogue's entries, as written in `en.rs` / `ja.rs`.
    pub fn entries(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::ENTRIES,
            Lang::Ja => ja::ENTRIES,
        }
    }
}

/// One language's texts, by key.
#[derive(Debug)]
pub struct Catalog {
    lang: Lang,
    texts: HashMap<&'static str, &'static str>,
    /// English, for a key a translation lacks (the tests make sure none does).
    fallback: Option<Box<Catalog>>,
}

impl Catalog {
    pub fn new(lang: Lang) -> Catalog {
        Catalog {
            lang,
            texts: lang.entries().iter().copied().collect(),
            fallback: (lang != Lang::En).then(|| Box::new(Catalog::new(Lang::En))),
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn has(&self, key: &str) -> bool {
        self.texts.contains_key(key)
    }

    /// The template of `key`.
    pub fn get(&self, key: &str) -> Option<&'static str> {
        self.texts
            .get(key)
            .copied()
            .or_else(|| self.fallback.as_ref().and_then(|f| f.get(key)))
    }

    /// `key`'s text with the values filled in. A key no catalogue has comes back as itself,
    /// so a mistake shows instead of vanishing.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        match self.get(key) {
            Some(template) => fill(template, vars),
            None => key.to_string(),
        }
    }

    /// A text without values.
    pub fn text(&self, key: &str) -> String {
        self.render(key, &[])
    }
}

/// Fills `{name}` from `vars`; drops each `[[ … ]]` section naming a value `vars` lacks.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find("[[") {
        fill_plain(&rest[..open], vars, &mut out);
        let after = &rest[open + 2..];
        let Some(close) = after.find("]]") else {
            rest = after;
            break;
        };
        let section = &after[..close];
        if placeholders(section).all(|name| lookup(vars, name).is_some()) {
            fill_plain(section, vars, &mut out);
        }
        rest = &after[close + 2..];
    }
    fill_plain(rest, vars, &mut out);
    out
}

fn lookup<'a>(vars: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn fill_plain(text: &str, vars: &[(&str, &str)], out: &mut String) {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                match lookup(vars, name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The `{name}`s a template uses, in order (with repeats).
pub fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split('{').skip(1).filter_map(|part| {
        let name = &part[..part.find('}')?];
        is_name(name).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn locale_names_choose_the_language() {
        assert_eq!(Lang::from_locale("ja_JP.UTF-8"), Lang::Ja);
        assert_eq!(Lang::from_locale("ja"), Lang::Ja);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_vars(env(&[("LANG", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", ""), ("LC_MESSAGES", "ja_JP.eucJP")])),
            Lang::Ja
        );
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
    }

    #[test]
    fn templates_fill_values_and_drop_sections_without_them() {
        let t = "from <{from}>[[, {size} bytes]][[, {nrcpt} recipients]].";
        assert_eq!(
            fill(t, &[("from", "a@b"), ("size", "12")]),
            "from <a@b>, 12 bytes."
        );
        assert_eq!(fill(t, &[("from", "")]), "from <>.");
        assert_eq!(fill("{a} {b}", &[("a", "x")]), "x {b}");
        assert_eq!(fill("json {\"a\": 1}", &[]), "json {\"a\": 1}");
    }

    fn keys(lang: Lang) -> BTreeSet<&'static str> {
        lang.entries().iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys_once_each() {
        for lang in [Lang::En, Lang::Ja] {
            let mut seen = BTreeSet::new();
            for (k, v) in lang.entries() {
                assert!(seen.insert(*k), "{}: key {k} twice", lang.as_str());
                assert!(!v.trim().is_empty(), "{}: key {k} is empty", lang.as_str());
            }
        }
        let (en, ja) = (keys(Lang::En), keys(Lang::Ja));
        let only_en: Vec<_> = en.difference(&ja).collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        assert!(only_en.is_empty(), "keys missing from ja.rs: {only_en:?}");
        assert!(only_ja.is_empty(), "keys missing from en.rs: {only_ja:?}");
    }

    #[test]
    fn translations_use_the_same_values() {
        let ja: HashMap<_, _> = Lang::Ja.entries().iter().copied().collect();
        for (key, en) in Lang::En.entries() {
            let want: BTreeSet<&str> = placeholders(en).collect();
            let got: BTreeSet<&str> = placeholders(ja[key]).collect();
            assert_eq!(want, got, "placeholders of {key}");
            for t in [*en, ja[key]] {
                assert_eq!(t.matches("[[").count(), t.matches("]]").count(), "{key}");
            }
        }
    }

    #[test]
    fn japanese_is_written_in_japanese() {
        // Every Japanese text holds kana or kanji, and the sentences end politely.
        for (key, text) in Lang::Ja.entries() {
            assert!(
                text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)
                    || ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "ja {key}: {text}"
            );
            let plain = text.trim_end();
            if plain.ends_with('。') && !key.starts_with("dsn.") && !key.starts_with("smtp.") {
                assert!(
                    !plain.ends_with("である。") && !plain.ends_with("だ。"),
                    "ja {key} is not です/ます: {text}"
                );
            }
        }
    }
}
