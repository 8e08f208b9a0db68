//! `keepsake bench api` (issue 17): how many orders the JSON API creates per second at a fixed
//! concurrency, next to the same writes issued directly on the same database — the floor the
//! application's own cost is measured against — and how fast it lists them.
//!
//! A `keepsake serve` child on free ports (embedded SQLite, or a fresh PostgreSQL database made
//! for the run on the server `--database-url` names and dropped after it). Three workloads, each
//! for `--seconds`:
//! 1. `POST /api/v1/orders`, `--clients` at once, each create with its own `Idempotency-Key`;
//! 2. the direct writes of one create — the session read, the idempotency claim (its own
//!    commit), then one transaction with the reference counter, the order row, its audit event
//!    and the stored answer — as raw statements on a plain connection pool: one connection on
//!    SQLite (one writer is all SQLite has), `--clients` on PostgreSQL;
//! 3. `GET /api/v1/orders?limit=100`, `--clients` at once.
//!
//! It prints the rates, p50/p99 latencies and the ratio API / direct (target ≥ 0.7).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::upload::{BenchResult, Server, bench_customer, rss_kib_of, tempfile_dir};

#[derive(Debug, clap::Args)]
pub struct ApiBench {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// How long each workload runs, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A PostgreSQL server to run on (a database is created for the run and dropped after);
    /// without it the embedded SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

pub async fn run(args: ApiBench) -> BenchResult<()> {
    let dir = tempfile_dir()?;
    let database = match &args.database_url {
        Some(admin) => Some(ScratchDatabase::create(admin).await?),
        None => None,
    };
    let outcome = async {
        let server = Server::start_with(&dir, database.as_ref().map(|d| d.url.as_str())).await?;
        let measured = measure(&server, &args, &dir).await;
        server.stop().await;
        measured
    }
    .await;
    if let Some(database) = database {
        database.drop().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn measure(server: &Server, args: &ApiBench, dir: &std::path::Path) -> BenchResult<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let token = bench_customer(&client, &server.base).await?;
    let duration = Duration::from_secs(args.seconds);
    let clients = args.clients.max(1);
    let idle_kib = server.rss_kib()?;
    let peak_kib = Arc::new(std::sync::atomic::AtomicU64::new(idle_kib));
    let sampler = tokio::spawn(sample_rss(server.pid()?, Arc::clone(&peak_kib)));

    let caller = Caller {
        client: client.clone(),
        base: server.base.clone(),
        token: token.clone(),
    };
    let api = caller.repeat(Call::Create, clients, duration).await?;

    let url = match &args.database_url {
        Some(_) => server.database_url.clone().ok_or("no database url")?,
        None => format!("sqlite://{}?mode=rw", dir.join("keepsake.db").display()),
    };
    let direct = DirectWrites::open(&url, &token, clients).await?;
    let direct_clients = direct.clients;
    let direct = Arc::new(direct);
    let floor = load(direct_clients, duration, move || {
        let direct = Arc::clone(&direct);
        async move { direct.create().await }
    })
    .await?;

    let list = caller.repeat(Call::List, clients, duration).await?;

    sampler.abort();
    let peak_kib = peak_kib.load(std::sync::atomic::Ordering::Relaxed);

    let backend = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("{backend}, {} s per workload", args.seconds);
    println!("API creates     {clients:>2} clients: {api}");
    println!("direct writes   {direct_clients:>2} clients: {floor}");
    println!(
        "ratio API / direct: {:.2} (target >= 0.7)",
        api.rate() / floor.rate()
    );
    println!("API list of 100 {clients:>2} clients: {list}");
    println!(
        "server RSS: idle {:.1} MiB, peak {:.1} MiB during the workloads",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0
    );
    Ok(())
}

/// Keep the highest resident set of process `pid` seen, every 20 ms, until aborted.
async fn sample_rss(pid: u32, peak_kib: Arc<std::sync::atomic::AtomicU64>) {
    loop {
        if let Some(kib) = rss_kib_of(pid) {
            peak_kib.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What one workload did.
struct Load {
    done: usize,
    seconds: f64,
    /// Every request's latency, sorted.
    latencies: Vec<Duration>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.done as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> Duration {
        let at = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        self.latencies.get(at).copied().unwrap_or_default()
    }
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  ({} in {:.1} s)",
            self.rate(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.done,
            self.seconds
        )
    }
}

/// Run `one` from `clients` tasks at once, each again as soon as it finished, for `duration`.
/// The first failure stops the workload and is returned.
async fn load<F, Fut>(clients: usize, duration: Duration, one: F) -> BenchResult<Load>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = BenchResult<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let one = one.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                one().await.map_err(|e| e.to_string())?;
                latencies.push(sent.elapsed());
            }
            Ok::<_, String>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Load {
        done: latencies.len(),
        seconds,
        latencies,
    })
}

/// The order every create sends: a complete intake, so the work is a real order's.
fn order_body() -> Value {
    json!({
        "subject": {
            "name": "Chen Mei",
            "requester_relationship": "child",
            "birth_date": "1948-05-02",
            "death_date": "2026-08-14",
            "living": false
        },
        "delivery_mode": "machine_driven",
        "intake": {
            "purpose": "to hear her voice once more on her birthday",
            "family_awareness": "my brother and my father know and agree",
            "support_network": "my husband; a grief counsellor every two weeks"
        }
    })
}

/// [`order_body`] as sent, serialized once.
static ORDER_BODY: std::sync::LazyLock<bytes::Bytes> =
    std::sync::LazyLock::new(|| bytes::Bytes::from(order_body().to_string()));

/// The requests the API workloads repeat.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// `POST /api/v1/orders` with a new Idempotency-Key: must answer 201.
    Create,
    /// `GET /api/v1/orders?limit=100`: must answer 200.
    List,
}

/// The bench customer's HTTP client.
#[derive(Clone)]
struct Caller {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Caller {
    /// Repeat `call` from `clients` tasks for `duration`.
    async fn repeat(&self, call: Call, clients: usize, duration: Duration) -> BenchResult<Load> {
        let caller = self.clone();
        load(clients, duration, move || {
            let caller = caller.clone();
            async move { caller.send(call).await }
        })
        .await
    }

    async fn send(&self, call: Call) -> BenchResult<()> {
        let (request, expected) = match call {
            Call::Create => (
                self.client
                    .post(format!("{}/api/v1/orders", self.base))
                    .header("Idempotency-Key", Uuid::new_v4().to_string())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(ORDER_BODY.clone()),
                reqwest::StatusCode::CREATED,
            ),
            Call::List => (
                self.client
                    .get(format!("{}/api/v1/orders?limit=100", self.base)),
                reqwest::StatusCode::OK,
            ),
        };
        let resp = request.bearer_auth(&self.token).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        if status != expected {
            return Err(format!("{call:?} answered {status}: {}", String::from_utf8_lossy(&body)).into());
        }
        Ok(())
    }
}

/// One create's database work as plain statements: what the API's create cannot go below.
struct DirectWrites {
    db: DatabaseConnection,
    clients: usize,
    token_hash: String,
    customer: Uuid,
}

impl DirectWrites {
    async fn open(url: &str, token: &str, clients: usize) -> BenchResult<Self> {
        // One connection on SQLite (one writer is all it has); one per client otherwise.
        let clients = if url.starts_with("sqlite:") { 1 } else { clients };
        let db = crate::db::connect::connect_pool(url, crate::db::connect::Pool::Exactly(clients as u32)).await?;
        let token_hash = crate::auth::token::digest(token);
        let row = db
            .query_one_raw(statement(
                &db,
                "SELECT user_id FROM sessions WHERE token_hash = $1",
                [token_hash.clone().into()],
            ))
            .await?
            .ok_or("the bench customer has no session")?;
        let customer: Uuid = row.try_get("", "user_id")?;
        Ok(Self {
            db,
            clients,
            token_hash,
            customer,
        })
    }

    async fn create(&self) -> BenchResult<()> {
        let db = &self.db;
        let now = chrono::Utc::now();
        let session = db
            .query_one_raw(statement(
                db,
                "SELECT s.id, s.csrf_hash, u.email, u.disabled_at FROM sessions s \
                 JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
                [self.token_hash.clone().into(), now.into()],
            ))
            .await?;
        if session.is_none() {
            return Err("the session is gone".into());
        }
        let key = Uuid::new_v4().to_string();
        let owner = self.customer.to_string();
        let holder = Uuid::new_v4();
        db.execute_raw(statement(
            db,
            "INSERT INTO idempotency_keys (owner, key, request_hash, locked_until, holder, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                owner.clone().into(),
                key.clone().into(),
                "0".repeat(64).into(),
                (now + chrono::Duration::seconds(30)).into(),
                holder.into(),
                now.into(),
            ],
        ))
        .await?;

        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        use chrono::Datelike;
        let number: i64 = txn
            .query_one_raw(statement(
                db,
                "INSERT INTO order_reference_counters (year, last_number) VALUES ($1, 1) \
                 ON CONFLICT (year) DO UPDATE SET last_number = order_reference_counters.last_number + 1 \
                 RETURNING last_number",
                [(now.year() + 1000).into()],
            ))
            .await?
            .ok_or("no reference number")?
            .try_get("", "last_number")?;
        let order = Uuid::now_v7();
        let intake = order_body()["intake"].clone();
        txn.execute_raw(statement(
            db,
            "INSERT INTO orders (id, reference, customer_id, status, delivery_mode, jurisdiction, \
             subject_name, requester_relationship, subject_birth_date, subject_death_date, \
             subject_living, living_twin, public_figure, intake, version, created_at, updated_at, \
             at_risk, overdue, keep_samples) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
            [
                order.into(),
                format!("KS-D{}-{number:06}", now.year()).into(),
                self.customer.into(),
                "draft".into(),
                "machine_driven".into(),
                "CN".into(),
                "Chen Mei".into(),
                "child".into(),
                chrono::NaiveDate::from_ymd_opt(1948, 5, 2).into(),
                chrono::NaiveDate::from_ymd_opt(2026, 8, 14).into(),
                false.into(),
                false.into(),
                false.into(),
                intake.into(),
                1i32.into(),
                now.into(),
                now.into(),
                false.into(),
                false.into(),
                false.into(),
            ],
        ))
        .await?;
        let detail = json!({ "reference": number, "delivery_mode": "machine_driven" });
        txn.execute_raw(statement(
            db,
            "INSERT INTO audit_events (id, occurred_at, actor, actor_roles, outcome, action, \
             target_type, target_id, request_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [
                Uuid::now_v7().into(),
                now.into(),
                "bench@keepsake.invalid".into(),
                "customer".into(),
                "success".into(),
                "order.created".into(),
                "order".into(),
                order.into(),
                Uuid::new_v4().to_string().into(),
                detail.into(),
            ],
        ))
        .await?;
        txn.execute_raw(statement(
            db,
            "UPDATE idempotency_keys SET response_status = $1, response_body = $2, holder = NULL \
             WHERE owner = $3 AND key = $4 AND holder = $5",
            [
                201i32.into(),
                json!({ "id": order, "reference": number }).into(),
                owner.into(),
                key.into(),
                holder.into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn statement<const N: usize>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: [DbValue; N],
) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// A PostgreSQL database made for one run and dropped after it.
struct ScratchDatabase {
    admin: DatabaseConnection,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> BenchResult<Self> {
        let mut options = sea_orm::ConnectOptions::new(admin_url.to_owned());
        // Dropping a database with its connections takes a second: not a slow query to warn of.
        options.sqlx_logging(false);
        let admin = Database::connect(options).await?;
        if admin.get_database_backend() != DatabaseBackend::Postgres {
            return Err("--database-url must name a PostgreSQL server".into());
        }
        let name = format!("ks_bench_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let without_query = admin_url.split('?').next().unwrap_or(admin_url);
        let server = without_query
            .rsplit_once('/')
            .filter(|(head, _)| head.contains("://") && !head.ends_with('/'))
            .map_or(without_query, |(head, _)| head);
        // The server's parameters (`sslmode`, `options`) apply to the scratch database too.
        let query = admin_url
            .split_once('?')
            .map(|(_, query)| format!("?{query}"))
            .unwrap_or_default();
        let url = format!("{server}/{name}{query}");
        Ok(Self { admin, name, url })
    }

    async fn drop(self) {
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}
