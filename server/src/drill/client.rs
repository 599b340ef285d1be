//! The drills' HTTP client: what a browser sends (the same-origin header included), signed
//! in through the sign-in form.

use anyhow::Context;
use std::time::Duration;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    cookie: String,
}

/// What a write came back with.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// The server said it is saved.
    Saved,
    /// The server answered but refused (the reason is in the redirect).
    Refused(String),
}

impl Client {
    fn plain() -> anyhow::Result<reqwest::Client> {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("http client")
    }

    /// The demo's accounts (demo mode lists them), as (username, password).
    pub async fn demo_accounts(base: &str) -> anyhow::Result<Vec<(String, String)>> {
        let res = Self::plain()?
            .post(format!("{base}/api/demo_accounts"))
            .header("origin", base)
            .header("accept", "application/json")
            .send()
            .await?;
        let list: Vec<serde_json::Value> = res.json().await?;
        Ok(list
            .iter()
            .filter_map(|a| {
                Some((
                    a.get("username")?.as_str()?.to_string(),
                    a.get("password")?.as_str()?.to_string(),
                ))
            })
            .collect())
    }

    /// Sign in through the form, as a browser with JavaScript off does.
    pub async fn sign_in(base: &str, username: &str, password: &str) -> anyhow::Result<Client> {
        let http = Self::plain()?;
        let res = http
            .post(format!("{base}/api/sign_in"))
            .header("origin", base)
            .header("accept", "text/html")
            .form(&[("username", username), ("password", password)])
            .send()
            .await?;
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("rectify_session="))
            .and_then(|c| c.split(';').next())
            .map(str::to_string)
            .with_context(|| format!("{username} could not sign in ({})", res.status()))?;
        Ok(Client {
            http,
            base: base.to_string(),
            cookie,
        })
    }

    /// A server function answering JSON.
    pub async fn call(
        &self,
        function: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<serde_json::Value> {
        let (status, body) = self.call_raw(function, form).await?;
        anyhow::ensure!((200..300).contains(&status), "{function}: {status}");
        Ok(serde_json::from_str(&body)?)
    }

    /// A server function's status and body, whatever they are.
    pub async fn call_raw(
        &self,
        function: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<(u16, String)> {
        let res = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await?;
        Ok((res.status().as_u16(), res.text().await?))
    }

    /// GET a page; its status.
    pub async fn page(&self, path: &str) -> anyhow::Result<u16> {
        Ok(self.page_text(path).await?.0)
    }

    /// GET a page; its status and text.
    pub async fn page_text(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", &self.cookie)
            .send()
            .await?;
        Ok((res.status().as_u16(), res.text().await?))
    }

    /// A progress report on `item`, as the item page's form posts it.
    pub async fn report_progress(&self, item: &str, text: &str) -> anyhow::Result<Written> {
        let form = reqwest::multipart::Form::new()
            .text("item", item.to_string())
            .text("text", text.to_string())
            .text("remaining", "1")
            .text("reasons", "")
            .text("next_steps", "");
        let res = self
            .http
            .post(format!(
                "{}{}",
                self.base,
                app::ledger::files::REPORT_PROGRESS_PATH
            ))
            .header("origin", &self.base)
            .header("accept", "text/html")
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await?;
        let location = location_of(&res);
        Ok(
            if res.status().is_redirection() && location.contains("saved=progress") {
                Written::Saved
            } else {
                Written::Refused(format!("{} {location}", res.status()))
            },
        )
    }

    /// A comment on `item` (the central office's note), by the item page's form.
    pub async fn comment(&self, item: &str, text: &str) -> anyhow::Result<Written> {
        let res = self
            .http
            .post(format!("{}/api/comment_item", self.base))
            .header("origin", &self.base)
            .header("accept", "text/html")
            .header("cookie", &self.cookie)
            .form(&[("item", item), ("text", text)])
            .send()
            .await?;
        let location = location_of(&res);
        Ok(if location.contains("error=") {
            Written::Refused(location)
        } else {
            Written::Saved
        })
    }
}

/// Where a form's answer sends the browser ("" when it does not).
fn location_of(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The unit head's items that take progress reports (those being worked on).
pub async fn workable_items(head: &Client) -> anyhow::Result<Vec<String>> {
    let items = head.call("my_items", &[]).await?;
    let working = [
        "acknowledged",
        "plan_review",
        "in_rectification",
        "digesting",
    ];
    let ids: Vec<String> = items
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|i| {
                    i.get("status")
                        .and_then(|s| s.as_str())
                        .is_some_and(|s| working.contains(&s))
                })
                .filter_map(|i| i.get("id")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(!ids.is_empty(), "the unit head has no item being worked on");
    Ok(ids)
}

/// Sign in as the demo account `username`.
pub async fn demo(base: &str, username: &str) -> anyhow::Result<Client> {
    let accounts = Client::demo_accounts(base).await?;
    let (_, password) = accounts
        .iter()
        .find(|(u, _)| u == username)
        .with_context(|| format!("no demo account {username}"))?;
    Client::sign_in(base, username, password).await
}
