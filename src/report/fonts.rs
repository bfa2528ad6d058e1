//! The shipped font's glyphs a page uses, embedded in the page, so Chinese
//! (group and agent names, peak labels, the plots' text) renders on any
//! machine, offline, without CJK fonts installed.
//!
//! Only East Asian characters are embedded (the page's Latin text and
//! symbols read well in any system font); the subset is made by allsorts with a Unicode
//! cmap (browsers reject fonts without one) and inlined as a base64
//! `@font-face` named [`FAMILY`] whose `unicode-range` is exactly those
//! characters, listed first: Chinese is drawn with the shipped font on every
//! machine (as in the PNG plots), everything else with the system's.

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use base64::Engine as _;

use super::plots::FONT;

/// The embedded font's CSS family name.
pub const FAMILY: &str = "kefusim-cjk";

/// East Asian scripts (CJK radicals and ideographs, kana, Hangul, CJK
/// punctuation, full-width forms), which system fonts often lack; the
/// page's other symbols (±, ÷, →, ·) stay with the system font.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x2E80..=0xA4CF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// The `@font-face` rule carrying the glyphs of every East Asian character
/// of `page` from the shipped font; `None` when the page has none, or
/// the font has none of them.
pub fn font_face(page: &str) -> Option<String> {
    use ab_glyph::Font as _;
    let font = ab_glyph::FontRef::try_from_slice_and_index(FONT, 0).ok()?;
    let mut chars: Vec<char> = page
        .chars()
        .filter(|&c| is_cjk(c) && font.glyph_id(c).0 != 0)
        .collect();
    chars.sort_unstable();
    chars.dedup();
    if chars.is_empty() {
        return None;
    }
    let mut glyphs: Vec<u16> = chars.iter().map(|&c| font.glyph_id(c).0).collect();
    glyphs.push(0); // .notdef, which a font must have
    glyphs.sort_unstable();
    glyphs.dedup();
    let data = ReadScope::new(FONT).read::<FontData<'_>>().ok()?;
    let provider = data.table_provider(0).ok()?;
    let bytes = subset(
        &provider,
        &glyphs,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .ok()?;
    // The characters it covers, so the browser uses it for exactly those.
    let range: Vec<String> = chars.iter().map(|&c| format!("U+{:X}", c as u32)).collect();
    Some(format!(
        "@font-face {{ font-family: '{FAMILY}'; src: url(data:font/ttf;base64,{}) format('truetype'); unicode-range: {}; }}\n",
        base64::engine::general_purpose::STANDARD.encode(bytes),
        range.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_gets_exactly_its_glyphs() {
        assert_eq!(font_face("plain ASCII"), None);
        let face = font_face("付尾款 · 售前 → 尾款").unwrap();
        assert!(face.starts_with("@font-face { font-family: 'kefusim-cjk'"));
        let b64 = face
            .split("base64,")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        // A font of its own, far smaller than the 5 MB collection, that maps
        // the page's characters (and only needs those).
        assert!(bytes.len() < 20_000, "{}", bytes.len());
        let sub = ab_glyph::FontRef::try_from_slice(&bytes).unwrap();
        use ab_glyph::Font as _;
        for c in "付尾款售前".chars() {
            assert_ne!(sub.glyph_id(c).0, 0, "{c} is in the subset");
        }
        assert_eq!(sub.glyph_id('客').0, 0, "no glyph the page does not use");
        // Deterministic: the same page, the same bytes.
        assert_eq!(font_face("付尾款 · 售前 → 尾款").unwrap(), face);
    }
}
