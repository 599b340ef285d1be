//! What each channel sends (server only): one digest per person (or per group) and run,
//! in the documented message formats of each channel. Pure functions of the reminders;
//! `dispatch` stores their output and sends it.

use crate::AppError;
use crate::i18n::Locale;
use crate::reminders::page::rule_label;
use leptos_i18n::*;
use serde_json::{Value, json};

pub use super::Figures;

/// One reminder as a line of a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The item's record key; `None` for the weekly summary.
    pub item_id: Option<String>,
    /// Where a tap goes when the line is not about an item (a campaign return).
    pub path: Option<String>,
    pub number: String,
    pub unit_name: String,
    pub rule: String,
    /// The item's approved deadline.
    pub deadline: String,
    pub figures: Option<Figures>,
}

/// WeChat Work limits a markdown message to 4,096 bytes; DingTalk's are similar. A digest
/// lists at most this many lines and then says how many more there are.
pub const MAX_LINES: usize = 20;

fn figures_text(l: Locale, f: &Figures) -> String {
    td_string!(
        l,
        reminder.figures,
        open = f.open,
        overdue = f.overdue,
        due = f.due_this_week,
        closed = f.closed_last_week
    )
    .to_string()
}

/// "2026-TZ-0001 海陵区教育局：距整改期限还有 7 天（期限 2026-12-31）".
pub fn line_text(l: Locale, line: &Line) -> String {
    match &line.figures {
        Some(f) => format!("{}: {}", rule_label(l, &line.rule), figures_text(l, f)),
        None => td_string!(
            l,
            reminder.line,
            number = line.number.clone(),
            unit = line.unit_name.clone(),
            what = rule_label(l, &line.rule),
            deadline = line.deadline.clone()
        )
        .to_string(),
    }
}

/// The app path a tap on the digest opens: the item when there is one, else the inbox.
pub fn open_path(lines: &[Line]) -> String {
    match lines {
        [one] => line_path(one).unwrap_or_else(|| "/inbox".to_string()),
        _ => "/inbox".to_string(),
    }
}

fn line_path(line: &Line) -> Option<String> {
    match (&line.item_id, &line.path) {
        (Some(id), _) => Some(format!("/items/{id}")),
        (None, Some(p)) => Some(p.clone()),
        _ => None,
    }
}

fn listed(l: Locale, lines: &[Line], bullet: &str, link: Option<&str>) -> String {
    let mut out: Vec<String> = lines
        .iter()
        .take(MAX_LINES)
        .map(|line| {
            let text = line_text(l, line);
            match (link, line_path(line)) {
                (Some(base), Some(path)) => format!("{bullet}[{text}]({base}{path})"),
                _ => format!("{bullet}{text}"),
            }
        })
        .collect();
    if lines.len() > MAX_LINES {
        out.push(td_string!(l, reminder.more, count = lines.len() - MAX_LINES).to_string());
    }
    out.join("\n")
}

fn title(l: Locale, count: usize) -> String {
    td_string!(l, reminder.digest_title, count = count).to_string()
}

/// The Web Push payload the service worker shows: title, body, the path a tap opens.
pub fn push_payload(l: Locale, lines: &[Line]) -> Value {
    json!({
        "title": title(l, lines.len()),
        "body": listed(l, &lines[..lines.len().min(4)], "", None)
            + &if lines.len() > 4 { format!("\n{}", td_string!(l, reminder.more, count = lines.len() - 4)) } else { String::new() },
        "url": open_path(lines),
        "tag": "rectify-reminders",
    })
}

/// WeChat Work group robot, message type markdown.
pub fn wecom_body(lines: &[Line], public_url: Option<&str>) -> Value {
    let l = Locale::zh;
    json!({
        "msgtype": "markdown",
        "markdown": {
            "content": format!("**{}**\n{}", title(l, lines.len()), listed(l, lines, "> ", public_url)),
        }
    })
}

/// DingTalk custom robot, message type markdown.
pub fn dingtalk_body(lines: &[Line], public_url: Option<&str>) -> Value {
    let l = Locale::zh;
    let title = title(l, lines.len());
    json!({
        "msgtype": "markdown",
        "markdown": {
            "title": title,
            "text": format!("#### {title}\n{}", listed(l, lines, "- ", public_url)),
        }
    })
}

/// DingTalk's signed request: `timestamp` (milliseconds) and `sign` =
/// base64(HMAC-SHA256(secret, "timestamp\nsecret")), URL-encoded, added to the webhook.
pub fn dingtalk_signed_url(url: &str, secret: &str, timestamp_ms: i64) -> String {
    use base64::Engine;
    let mac = super::push::hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    );
    let sign = base64::engine::general_purpose::STANDARD.encode(mac);
    let sign: String = form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}timestamp={timestamp_ms}&sign={sign}")
}

/// An SMS: the digest as one short text in the recipient's language.
pub fn sms_text(l: Locale, lines: &[Line]) -> String {
    let first = lines.first().map(|x| line_text(l, x)).unwrap_or_default();
    if lines.len() > 1 {
        format!(
            "{} {first} {}",
            title(l, lines.len()),
            td_string!(l, reminder.more, count = lines.len() - 1)
        )
    } else {
        format!("{} {first}", title(l, 1))
    }
}

/// The gateway's request body: the administrator's template with `{phone}` and `{text}`
/// replaced (JSON-escaped when the template is JSON).
pub fn sms_body(template: &str, phone: &str, text: &str) -> String {
    let json_like = template.trim_start().starts_with('{');
    let escape = |s: &str| {
        if json_like {
            let quoted = Value::String(s.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        } else {
            form_urlencoded::byte_serialize(s.as_bytes()).collect()
        }
    };
    template
        .replace("{phone}", &escape(phone))
        .replace("{text}", &escape(text))
}

/// The default SMS body template: a JSON object with the number and the text.
pub const DEFAULT_SMS_TEMPLATE: &str = super::SMS_TEMPLATE_EXAMPLE;

/// A channel as the administrator enters it. The URL must be http(s); DingTalk may carry
/// a signing secret; an SMS gateway's template must name `{phone}` and `{text}`.
pub fn valid_channel(
    kind: &str,
    name: &str,
    url: &str,
    template: &str,
) -> Result<(String, String, String, Option<String>), AppError> {
    use crate::error::{Field, Problem};
    let kind = match kind.trim() {
        k @ ("wecom" | "dingtalk" | "sms") => k.to_string(),
        _ => return Err(AppError::invalid(Field::ChannelKind, Problem::Invalid)),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(Field::ChannelName, Problem::Required));
    }
    let url = url.trim();
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if parsed.is_none() {
        return Err(AppError::invalid(Field::ChannelUrl, Problem::Invalid));
    }
    let template = match (kind.as_str(), template.trim()) {
        ("sms", "") => Some(DEFAULT_SMS_TEMPLATE.to_string()),
        ("sms", t) if t.contains("{phone}") && t.contains("{text}") => Some(t.to_string()),
        ("sms", _) => return Err(AppError::invalid(Field::ChannelTemplate, Problem::Invalid)),
        _ => None,
    };
    Ok((kind, name.to_string(), url.to_string(), template))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(item: &str, rule: &str) -> Line {
        Line {
            item_id: Some(item.to_string()),
            path: None,
            number: format!("2026-TZ-{item}"),
            unit_name: "海陵区教育局".into(),
            rule: rule.into(),
            deadline: "2026-12-31".into(),
            figures: None,
        }
    }

    #[test]
    fn a_digest_of_one_item_opens_the_item_and_of_several_the_inbox() {
        assert_eq!(open_path(&[line("a1", "deadline_t7")]), "/items/a1");
        assert_eq!(
            open_path(&[line("a1", "deadline_t7"), line("b2", "overdue_1")]),
            "/inbox"
        );
        let p = push_payload(Locale::zh, &[line("a1", "deadline_t7")]);
        assert_eq!(p["url"], "/items/a1");
        assert!(p["body"].as_str().unwrap_or("").contains("2026-TZ-a1"));
        assert!(
            p["body"]
                .as_str()
                .unwrap_or("")
                .contains("距整改期限还有 7 天")
        );
        let en = push_payload(Locale::en, &[line("a1", "deadline_t7")]);
        assert!(en["title"].as_str().unwrap_or("").contains("Rectify"));
    }

    #[test]
    fn group_messages_use_the_documented_markdown_shapes() {
        let lines = [line("a1", "deadline_t7"), line("b2", "overdue_1")];
        let w = wecom_body(&lines, Some("https://zgt.example"));
        assert_eq!(w["msgtype"], "markdown");
        let content = w["markdown"]["content"].as_str().unwrap_or("");
        assert!(content.contains("> [2026-TZ-a1 海陵区教育局"));
        assert!(content.contains("(https://zgt.example/items/b2)"));
        let d = dingtalk_body(&lines, None);
        assert_eq!(d["msgtype"], "markdown");
        assert!(d["markdown"]["title"].as_str().unwrap_or("").contains('2'));
        assert!(
            d["markdown"]["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("#### ")
        );
    }

    #[test]
    fn a_long_digest_is_cut_and_says_how_many_more() {
        let lines: Vec<Line> = (0..25)
            .map(|i| line(&i.to_string(), "deadline_t0"))
            .collect();
        let w = wecom_body(&lines, None);
        let content = w["markdown"]["content"].as_str().unwrap_or("");
        assert_eq!(content.matches("> ").count(), MAX_LINES);
        assert!(content.contains('5'));
        assert!(content.len() < 4096);
    }

    #[test]
    fn the_dingtalk_signature_is_the_documented_hmac() {
        let url = dingtalk_signed_url(
            "http://127.0.0.1:9/robot/send?access_token=t",
            "SECabc",
            1_700_000_000_000,
        );
        let sign = url.split("&sign=").nth(1).unwrap_or("");
        let decoded: String = form_urlencoded::parse(format!("s={sign}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .collect();
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode(
            super::super::push::hmac_sha256(b"SECabc", b"1700000000000\nSECabc"),
        );
        assert_eq!(decoded, expected);
        assert!(url.contains("&timestamp=1700000000000&"));
    }

    #[test]
    fn sms_templates_escape_what_they_insert() {
        assert_eq!(
            sms_body(DEFAULT_SMS_TEMPLATE, "13800000000", "say \"hi\"\n"),
            r#"{"phone":"13800000000","text":"say \"hi\"\n"}"#
        );
        assert_eq!(
            sms_body("to={phone}&msg={text}", "138", "a b&c"),
            "to=138&msg=a+b%26c"
        );
    }

    #[test]
    fn a_channel_needs_a_kind_a_name_and_a_web_address() {
        assert!(valid_channel("wecom", "海陵群", "http://127.0.0.1:8/x", "").is_ok());
        assert!(valid_channel("fax", "x", "http://127.0.0.1/x", "").is_err());
        assert!(valid_channel("wecom", " ", "http://127.0.0.1/x", "").is_err());
        assert!(valid_channel("dingtalk", "x", "ftp://h/x", "").is_err());
        assert!(valid_channel("dingtalk", "x", "not a url", "").is_err());
        assert!(valid_channel("sms", "x", "http://127.0.0.1/x", "{phone}").is_err());
        let (_, _, _, t) =
            valid_channel("sms", "x", "http://127.0.0.1/x", "").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.as_deref(), Some(DEFAULT_SMS_TEMPLATE));
    }
}
