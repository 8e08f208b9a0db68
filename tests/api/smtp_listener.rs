//! A minimal real SMTP server for the tests: a tokio `TcpListener` on port 0 speaking enough
//! of RFC 5321 for a client like lettre — greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA (with
//! dot-unstuffing), RSET, NOOP, QUIT — and recording every message it accepted. It can answer
//! the next N messages with a temporary (451) or permanent (550) refusal at the end of DATA,
//! the moment a real server says whether it takes responsibility for the mail. It can also
//! *hold* the next N messages: take the whole DATA and never answer, the moment a relay that
//! dies leaves it unknown whether the mail went out (`tests/process`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Header names in lower case, values unfolded.
    pub headers: Vec<(String, String)>,
    /// The body, transfer encoding undone.
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
    pub fn message_id(&self) -> &str {
        self.header("message-id").unwrap_or("")
    }
    pub fn subject(&self) -> &str {
        self.header("subject").unwrap_or("")
    }
    /// The whole mail as a reader sees it.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.subject(), self.body)
    }
}

#[derive(Default)]
struct Shared {
    accepted: Vec<Received>,
    /// Messages refused so far (temporary or permanent).
    refused: usize,
    /// Refuse this many more messages with `refusal`.
    refuse_next: usize,
    refusal: &'static str,
    /// Messages received whose DATA was never answered.
    held: Vec<Received>,
    /// Hold this many more messages.
    hold_next: usize,
}

/// The running server; it stops when dropped.
pub struct SmtpListener {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpListener {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("smtp addr").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let changed = Arc::new(Notify::new());
        let (s, c) = (shared.clone(), changed.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (s, c) = (s.clone(), c.clone());
                tokio::spawn(async move {
                    let _ = session(stream, s, c).await;
                });
            }
        });
        Self {
            port,
            shared,
            changed,
            task,
        }
    }

    /// Answer the next `n` messages with `451 4.3.0` (try again later).
    pub fn refuse_temporarily(&self, n: usize) {
        let mut s = self.shared.lock().unwrap();
        s.refuse_next = n;
        s.refusal = "451 4.3.0 mailbox busy, try again later";
    }

    /// Answer the next `n` messages with `550 5.1.1` (no such mailbox).
    pub fn refuse_permanently(&self, n: usize) {
        let mut s = self.shared.lock().unwrap();
        s.refuse_next = n;
        s.refusal = "550 5.1.1 <nobody@nowhere.example>: no such mailbox";
    }

    /// Take the next `n` messages' DATA and never answer it (the connection stays open until
    /// the client goes away).
    #[allow(dead_code)] // tests/process
    pub fn hold_next(&self, n: usize) {
        self.shared.lock().unwrap().hold_next = n;
    }

    #[allow(dead_code)] // tests/process
    pub fn held(&self) -> Vec<Received> {
        self.shared.lock().unwrap().held.clone()
    }

    /// Wait (up to a minute) until at least `n` messages are held.
    #[allow(dead_code)] // tests/process
    pub async fn wait_for_held(&self, n: usize) -> Vec<Received> {
        let waiting = async {
            loop {
                let notified = self.changed.notified();
                if self.held().len() >= n {
                    return self.held();
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), waiting)
            .await
            .unwrap_or_else(|_| panic!("fewer than {n} messages were held"))
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.shared.lock().unwrap().accepted.clone()
    }

    pub fn refused(&self) -> usize {
        self.shared.lock().unwrap().refused
    }

    /// Wait (up to a minute) until at least `n` messages were accepted.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let waiting = async {
            loop {
                let notified = self.changed.notified();
                if self.accepted().len() >= n {
                    return self.accepted();
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), waiting)
            .await
            .unwrap_or_else(|_| panic!("fewer than {n} messages arrived: {:?}", self.accepted()))
    }
}

async fn session(
    stream: TcpStream,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.smtp ESMTP ready\r\n").await?;
    let (mut from, mut rcpt) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-test.smtp hello\r\n250-8BITMIME\r\n250 SMTPUTF8".into(),
            "HELO" => "250 test.smtp hello".into(),
            "MAIL" => {
                from = address(&command);
                rcpt.clear();
                "250 2.1.0 ok".into()
            }
            "RCPT" => {
                rcpt.push(address(&command));
                "250 2.1.5 ok".into()
            }
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push(unstuffed.to_owned());
                }
                let hold = {
                    let mut s = shared.lock().unwrap();
                    let hold = s.hold_next > 0;
                    if hold {
                        s.hold_next -= 1;
                        s.held.push(parse(&from, &rcpt, &data.concat()));
                    }
                    hold
                };
                if hold {
                    changed.notify_waiters();
                    // Never answer; read (and drop) whatever comes until the client is gone.
                    while lines.read_line(&mut line).await? != 0 {
                        line.clear();
                    }
                    return Ok(());
                }
                let reply = {
                    let mut s = shared.lock().unwrap();
                    if s.refuse_next > 0 {
                        s.refuse_next -= 1;
                        s.refused += 1;
                        s.refusal.to_owned()
                    } else {
                        s.accepted.push(parse(&from, &rcpt, &data.concat()));
                        "250 2.0.0 queued".to_owned()
                    }
                };
                changed.notify_waiters();
                reply
            }
            "RSET" => {
                from.clear();
                rcpt.clear();
                "250 2.0.0 ok".into()
            }
            "NOOP" => "250 2.0.0 ok".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not recognised".into(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// `MAIL FROM:<a@b> SIZE=…` → `a@b`
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}

fn parse(from: &str, rcpt: &[String], data: &str) -> Received {
    let data = data.replace("\r\n", "\n");
    let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let encoding = headers
        .iter()
        .find(|(k, _)| k == "content-transfer-encoding")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        _ => body.to_owned(),
    };
    Received {
        mail_from: from.to_owned(),
        rcpt_to: rcpt.to_vec(),
        headers,
        body,
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(Ok(b)) = joined.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
