//! Charts as SVG drawn on the server: readable without JavaScript, printable, scaling
//! to the width of a phone, nothing loaded from anywhere. Pure string building.

use super::MonthPoint;

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: its label, value, the ledger view it stands for, and whether to mark it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub href: String,
    pub marked: bool,
}

const BLUE: &str = "#1d4f91";
const GREEN: &str = "#1e6b34";
const RED: &str = "#b3261e";
const INK: &str = "#1b1b1b";

/// Horizontal bars, one per row, each a link to its items.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let row = 30;
    let label_w = 150;
    let bar_w = 380;
    let height = 36 + row * bars.len().max(1);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let mut out = format!(
        r#"<svg viewBox="0 0 600 {height}" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 24 + i * row;
        let w = (b.value * bar_w / max).max(if b.value > 0 { 2 } else { 0 });
        let colour = if b.marked { RED } else { BLUE };
        out.push_str(&format!(
            r#"<a href="{href}"><text x="{lx}" y="{ty}" text-anchor="end" font-size="14" fill="{INK}">{label}</text><rect x="{bx}" y="{y}" width="{w}" height="20" fill="{colour}"><title>{label}: {v}</title></rect><text x="{vx}" y="{ty}" font-size="14" fill="{INK}">{v}</text></a>"#,
            href = escape(&b.href),
            lx = label_w - 8,
            ty = y + 15,
            label = escape(&b.label),
            bx = label_w,
            vx = label_w + w + 6,
            v = b.value,
        ));
    }
    out.push_str("</svg>");
    out
}

/// Found, closed and overdue at each month's end, as grouped columns with a legend.
pub fn trend_chart(title: &str, points: &[MonthPoint], names: [&str; 3]) -> String {
    let height = 260;
    let base = 220;
    let left = 30;
    let group = 560 / points.len().max(1);
    let bar = (group.saturating_sub(8) / 3).max(2);
    let max = points
        .iter()
        .flat_map(|p| [p.found, p.closed, p.overdue_at_end])
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = format!(
        r#"<svg viewBox="0 0 600 {height}" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (name, colour)) in names.iter().zip([BLUE, GREEN, RED]).enumerate() {
        let x = left + i * 150;
        out.push_str(&format!(
            r#"<rect x="{x}" y="4" width="14" height="14" fill="{colour}"/><text x="{tx}" y="16" font-size="14" fill="{INK}">{n}</text>"#,
            tx = x + 20,
            n = escape(name)
        ));
    }
    out.push_str(&format!(
        r#"<line x1="{left}" y1="{base}" x2="590" y2="{base}" stroke="{INK}" stroke-width="1"/>"#
    ));
    for (i, p) in points.iter().enumerate() {
        let x0 = left + i * group + 4;
        for (j, (v, colour)) in [(p.found, BLUE), (p.closed, GREEN), (p.overdue_at_end, RED)]
            .into_iter()
            .enumerate()
        {
            let h = (v * 180 / max) as usize;
            out.push_str(&format!(
                r#"<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="{colour}"><title>{m} {name}: {v}</title></rect>"#,
                x = x0 + j * bar,
                y = base - h,
                m = escape(&p.month),
                name = escape(names[j]),
            ));
        }
        out.push_str(&format!(
            r#"<text x="{x}" y="{y}" text-anchor="middle" font-size="12" fill="{INK}">{m}</text>"#,
            x = x0 + (bar * 3) / 2,
            y = base + 16,
            m = escape(p.month.get(5..).unwrap_or(&p.month)),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_link_to_their_items_and_escape_their_labels() {
        let svg = bar_chart(
            "未销号 <按地区>",
            &[
                Bar {
                    label: "兴化市".into(),
                    value: 12,
                    href: "/ledger?district=xh&status=open".into(),
                    marked: true,
                },
                Bar {
                    label: "A&B".into(),
                    value: 0,
                    href: "/ledger?district=ab&status=open".into(),
                    marked: false,
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"<a href="/ledger?district=xh&amp;status=open">"#));
        assert!(svg.contains("A&amp;B"));
        assert!(svg.contains("&lt;按地区&gt;"));
        assert!(svg.contains(RED));
        // Inline in the page: nothing refers to another host.
        assert!(!svg.contains("http"));
    }

    #[test]
    fn the_trend_has_three_columns_a_month_and_a_legend() {
        let points: Vec<MonthPoint> = (1..=12)
            .map(|m| MonthPoint {
                month: format!("2026-{m:02}"),
                found: m,
                closed: m / 2,
                overdue_at_end: 1,
            })
            .collect();
        let svg = trend_chart("趋势", &points, ["发现", "销号", "月末逾期"]);
        assert_eq!(svg.matches("<rect").count(), 12 * 3 + 3);
        assert!(svg.contains(">12<") && svg.contains("发现"));
        assert_eq!(
            trend_chart("空", &[], ["a", "b", "c"])
                .matches("<rect")
                .count(),
            3
        );
    }
}
