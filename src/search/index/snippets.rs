//! Highlighted snippets: HTML with `<em>` around matched words.

/// HTML for a fragment with `<em>` around the highlighted ranges. Search-mode segmentation
/// yields overlapping words (`钙钛矿`, `钙钛矿电池`), so ranges are merged first, and any range
/// that is out of bounds or off a character boundary is dropped rather than sliced.
pub fn render_snippet(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut sorted: Vec<std::ops::Range<usize>> = ranges
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= fragment.len()
                && fragment.is_char_boundary(r.start)
                && fragment.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::with_capacity(fragment.len() + merged.len() * 9);
    let mut at = 0;
    for r in merged {
        out.push_str(&escape(&fragment[at..r.start]));
        out.push_str("<em>");
        out.push_str(&escape(&fragment[r.start..r.end]));
        out.push_str("</em>");
        at = r.end;
    }
    out.push_str(&escape(&fragment[at..]));
    out
}
