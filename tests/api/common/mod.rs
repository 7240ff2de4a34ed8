//! Test harness: starts the real application on port 0 with a fresh database (SQLite in a
//! temporary folder, or a new PostgreSQL database when `QIANXIAN_TEST_DATABASE_URL` is set) and
//! talks GraphQL to it over HTTP.

use chrono::{TimeZone, Utc};
use qianxian::app::Application;
use qianxian::clock::ManualClock;
use qianxian::config::Settings;
use qianxian::domain::Organization;
use qianxian::graphql::ids::{IdCodec, NodeType};
use qianxian::service::{Actor, Services};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// A running application.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub services: Services,
    pub clock: ManualClock,
    /// The token of each listing's owner, so lifecycle helpers can act for it.
    owners: Mutex<HashMap<String, String>>,
    settings: Settings,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data_dir: tempfile::TempDir,
    /// Shared with this app's replicas and restarts; the last one out drops the database.
    database: Arc<TestDatabase>,
}

/// A PostgreSQL database made for one test, dropped when the test's apps are gone (a run of the
/// suite leaves nothing behind). SQLite databases live in the temporary data folder.
struct TestDatabase {
    /// `(server URL to connect to, database name)` on PostgreSQL.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    fn for_url(url: &str) -> Arc<TestDatabase> {
        let postgres = url
            .starts_with("postgres")
            .then(|| url.rsplit_once('/'))
            .flatten()
            .map(|(server, name)| (format!("{server}/postgres"), name.to_owned()));
        Arc::new(TestDatabase { postgres })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a thread with its own runtime may block on it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(&server).await?;
                // FORCE ends connections a still-running server task holds.
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        });
        if let Ok(Err(e)) = dropped.join() {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

/// An organisation created through the API, with the access token of its admin (its creator).
/// Serialises as its global id, so it can stand in `json!` wherever an id goes.
#[derive(Clone, Debug)]
pub struct Org {
    pub id: String,
    pub token: String,
}

impl serde::Serialize for Org {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id)
    }
}

/// Sends a request, with a bearer token when given, and returns its JSON body.
async fn send(mut req: reqwest::RequestBuilder, token: Option<&str>) -> Value {
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("json body")
}

/// Options for [`spawn_app_with`].
#[derive(Default)]
pub struct Options {
    pub demo_data: bool,
    pub body_limit: Option<usize>,
    pub max_depth: Option<usize>,
    pub max_aliases: Option<usize>,
    pub per_address_per_minute: Option<u32>,
    pub per_token_per_minute: Option<u32>,
    /// Another `index/` configuration folder.
    pub index_config: Option<std::path::PathBuf>,
    /// Score from which new stored matches are announced.
    pub match_notify_threshold: Option<f64>,
    /// Market connections.
    pub connectors: Option<qianxian::connectors::ConnectorsSettings>,
    /// GraphQL requests served at once before load shedding.
    pub max_in_flight: Option<usize>,
    /// Index lag up to which `/readyz` says ready.
    pub max_ready_lag: Option<u64>,
    /// With `max_ready_lag`: how recently a complete index keeps a replica ready (default 0).
    pub ready_grace_secs: Option<u64>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// Start as `environment = "production"` (with a real signing secret, no demo data).
    pub production: bool,
    /// Who may read `/metrics`.
    pub metrics: Option<qianxian::config::MetricsSettings>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let (settings, data_dir, clock, database) = test_settings(options).await;
    start(settings, clock, data_dir, database, HashMap::new()).await
}

/// Starts `n` replicas at the same moment on one new, empty database (each with its own data
/// folder), as a deployment's processes start together.
pub async fn spawn_replicas_together(n: usize) -> Vec<TestApp> {
    let (settings, data_dir, clock, database) = test_settings(Options::default()).await;
    let mut dirs = vec![data_dir];
    dirs.extend((1..n).map(|_| tempfile::tempdir().expect("temp dir")));
    futures::future::join_all(dirs.into_iter().map(|dir| {
        let mut settings = settings.clone();
        settings.data_dir = dir.path().to_path_buf();
        start(
            settings,
            clock.clone(),
            dir,
            database.clone(),
            HashMap::new(),
        )
    }))
    .await
}

/// The settings of a test app (a fresh database, a temporary data folder) and its clock.
async fn test_settings(
    options: Options,
) -> (Settings, tempfile::TempDir, ManualClock, Arc<TestDatabase>) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        ..Default::default()
    };
    settings.server.listen = "127.0.0.1:0".to_owned();
    settings.database.url = fresh_database_url(&settings).await;
    settings.database.max_connections = 4;
    settings.seed.demo_data = options.demo_data;
    settings.seed.dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    settings.search.config_dir = options
        .index_config
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index"));
    // Tests run the indexer directly (`services.search.catch_up()`), never by waiting for it;
    // the background loops' first pass at start is over before a test begins (see `start`).
    settings.search.poll_ms = 3_600_000;
    if let Some(limit) = options.body_limit {
        settings.server.body_limit_bytes = limit;
    }
    if let Some(depth) = options.max_depth {
        settings.graphql.max_depth = depth;
    }
    if let Some(connectors) = options.connectors {
        settings.connectors = connectors;
    }
    if let Some(threshold) = options.match_notify_threshold {
        settings.pairing.match_notify_threshold = threshold;
    }
    if let Some(aliases) = options.max_aliases {
        settings.graphql.max_aliases = aliases;
    }
    settings.server.trusted_proxies = options.trusted_proxies;
    if options.production {
        settings.environment = qianxian::config::Environment::Production;
        settings.auth.signing_secret = "a-production-signing-secret-of-forty-characters".to_owned();
        settings.seed.demo_data = false;
    }
    if let Some(metrics) = options.metrics {
        settings.metrics = metrics;
    }
    // Suites fire many requests at once; load shedding has its own test.
    settings.server.max_in_flight = options.max_in_flight.unwrap_or(10_000);
    if let Some(lag) = options.max_ready_lag {
        settings.search.max_ready_lag = lag;
        // The lag alone decides, unless the test says how recently the index may have been
        // complete to count as catching up.
        settings.search.ready_grace_secs = options.ready_grace_secs.unwrap_or(0);
    }
    // Cheap password hashing keeps the suite fast; the cost is a setting, measured in the bench.
    settings.auth.argon2_memory_kib = 1024;
    settings.auth.argon2_iterations = 1;
    // Tests move the clock by months; token expiry has its own test that moves it further.
    settings.auth.access_token_minutes = 60 * 24 * 400;
    settings.rate_limit.per_address_per_minute = options.per_address_per_minute.unwrap_or(100_000);
    settings.rate_limit.per_token_per_minute = options.per_token_per_minute.unwrap_or(100_000);
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap());
    let database = TestDatabase::for_url(&settings.database.url);
    (settings, data_dir, clock, database)
}

async fn start(
    settings: Settings,
    clock: ManualClock,
    data_dir: tempfile::TempDir,
    database: Arc<TestDatabase>,
    owners: HashMap<String, String>,
) -> TestApp {
    let app = Application::build(&settings, Arc::new(clock.clone()))
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let services = app.services().clone();
    let first_passes = app.first_passes();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    // The indexer and the sweeper each run once at start; a test that drives the same services
    // while those passes are still going would race them (a push planned twice, say).
    first_passes.done().await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        services,
        clock,
        owners: Mutex::new(owners),
        settings,
        stop,
        running,
        _data_dir: data_dir,
        database,
    }
}

impl TestApp {
    /// Stops the service (its index writer is dropped without committing anything staged)
    /// and starts it again on the same data folder, database and clock.
    pub async fn restart(self) -> TestApp {
        let TestApp {
            services,
            clock,
            owners,
            settings,
            stop,
            running,
            _data_dir,
            database,
            ..
        } = self;
        let _ = stop.send(());
        running.await.expect("joins").expect("stops cleanly");
        drop(services);
        start(
            settings,
            clock,
            _data_dir,
            database,
            owners.into_inner().unwrap(),
        )
        .await
    }
}

impl TestApp {
    /// Starts another replica of this service: its own data folder and index, the same
    /// database and clock, as a second `qianxian serve` behind a load balancer would be.
    pub async fn replica(&self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = self.settings.clone();
        settings.data_dir = data_dir.path().to_path_buf();
        let owners = self.owners.lock().unwrap().clone();
        start(
            settings,
            self.clock.clone(),
            data_dir,
            self.database.clone(),
            owners,
        )
        .await
    }

    /// Stops the service and starts it again on the same data folder (and search index) but
    /// a new, empty database, as after an operator recreated the database.
    pub async fn restart_on_a_new_database(self) -> TestApp {
        let TestApp {
            services,
            clock,
            mut settings,
            stop,
            running,
            _data_dir,
            ..
        } = self;
        let _ = stop.send(());
        running.await.expect("joins").expect("stops cleanly");
        drop(services);
        settings.database.url = if settings.database.url.starts_with("sqlite") {
            format!(
                "sqlite://{}?mode=rwc",
                settings.data_dir.join("recreated.db").display()
            )
        } else {
            fresh_database_url(&settings).await
        };
        let database = TestDatabase::for_url(&settings.database.url);
        start(settings, clock, _data_dir, database, HashMap::new()).await
    }

    /// The database this app (and its replicas) use.
    pub fn database_url(&self) -> &str {
        &self.settings.database.url
    }

    /// The number a `SELECT COUNT(*) AS n …` statement returns, read straight from the
    /// database (what was written, whatever the API shows).
    pub async fn count(&self, sql: &str) -> i64 {
        let conn = &self.services.context().db.conn;
        conn.query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("count runs")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n")
    }

    /// Whether the suite runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.settings.database.url.starts_with("postgres")
    }

    /// Stops the service gracefully (its leases are given back).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.running.await.expect("joins").expect("stops cleanly");
    }
}

/// A fresh database: a new PostgreSQL database per app when the variable is set, else SQLite.
async fn fresh_database_url(settings: &Settings) -> String {
    match std::env::var("QIANXIAN_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            // Named after the database the variable points at, so a CI run can drop its own.
            let base_name = admin_url
                .rsplit('/')
                .next()
                .unwrap_or("qx")
                .split('?')
                .next()
                .unwrap_or("qx");
            let name = format!(
                "{base_name}_t{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                Utc::now().timestamp_subsec_nanos()
            );
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
        _ => format!(
            "sqlite://{}?mode=rwc",
            settings.data_dir.join("test.db").display()
        ),
    }
}

impl TestApp {
    /// POSTs a GraphQL request as an anonymous visitor and returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(None, query, variables).await
    }

    /// POSTs a GraphQL request with a bearer token.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_with(Some(token), query, variables).await
    }

    async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        send(req, token).await
    }

    /// Sends a GraphQL multipart request (the upload spec) with one file bound to
    /// `variables.file`, with a bearer token when given.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let form = reqwest::multipart::Form::new()
            .text("operations", operations)
            .text("map", r#"{ "0": ["variables.file"] }"#)
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
            );
        let req = self
            .client
            .post(format!("{}/graphql", self.address))
            .multipart(form);
        send(req, token).await
    }

    /// Like [`TestApp::gql`] but fails the test on any top-level error.
    pub async fn gql_ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Like [`TestApp::gql_as`] but fails the test on any top-level error.
    pub async fn gql_ok_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Registers a user with a login derived from `name` and returns an access token.
    pub async fn user_token(&self, name: &str) -> String {
        let email = format!(
            "u{}@example.com",
            &credit_code_for(name)[8..17].to_lowercase()
        );
        let data = self
            .gql_ok(
                "mutation($input: RegisterUserInput!) { register(input: $input) { user { id } userErrors { code message } } }",
                json!({ "input": { "user": { "email": email, "displayName": name, "password": "Secret-pass-2026" } } }),
            )
            .await;
        assert_eq!(data["register"]["userErrors"], json!([]), "{data}");
        self.login(&email, "Secret-pass-2026").await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let data = self
            .gql_ok(
                "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                json!({ "input": { "login": login, "password": password } }),
            )
            .await;
        data["login"]["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// A verified university in 崂山区 (370212), registered as [`TestApp::create_org`] does.
    pub async fn university(&self, name: &str) -> Org {
        self.create_org("UNIVERSITY", name, "370212", true).await
    }

    /// A verified enterprise in 黄岛区 (370211), registered as [`TestApp::create_org`] does.
    pub async fn enterprise(&self, name: &str) -> Org {
        self.create_org("ENTERPRISE", name, "370211", true).await
    }

    /// Registers a user, has them register an organisation over GraphQL (so they administer
    /// it), verifies it through the service when asked, and returns its id and the admin token.
    pub async fn create_org(&self, kind: &str, name: &str, region: &str, verified: bool) -> Org {
        let token = self.user_token(&format!("{name}管理员")).await;
        let credit_code = credit_code_for(name);
        let data = self
            .gql_ok_as(
                &token,
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code message } } }",
                json!({ "input": { "organization": {
                    "kind": kind, "name": name, "creditCode": credit_code, "region": region,
                    "description": "测试机构", "contactName": "王老师", "contactPhone": "0532-88880000",
                    "contactEmail": "tto@example.edu.cn"
                } } }),
            )
            .await;
        let payload = &data["createOrganization"];
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        let id = payload["organization"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        if verified {
            let org = self.org_by_credit_code(&credit_code).await;
            self.services
                .organizations
                .set_verified(&Actor::System, org.id, true)
                .await
                .expect("verify");
        }
        Org { id, token }
    }

    pub async fn org_by_credit_code(&self, code: &str) -> Organization {
        self.services
            .organizations
            .find_by_credit_code(&Actor::System, code)
            .await
            .expect("lookup")
            .expect("exists")
    }

    /// SQL statements executed so far, read from `/metrics`.
    pub async fn statements(&self) -> u64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix("qianxian_db_statements "))
            .and_then(|v| v.trim().parse().ok())
            .expect("db statement gauge present")
    }

    pub fn system() -> Actor {
        Actor::System
    }
}

/// A valid, distinct credit code derived from a name.
pub fn credit_code_for(name: &str) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut h: u64 = 1469598103934665603;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    let mut body = String::from("91370212");
    for _ in 0..9 {
        body.push(CHARS[(h % 31) as usize] as char);
        h /= 31;
    }
    qianxian::domain::CreditCode::with_check_character(&body).expect("valid")
}

/// Fields of a valid research result; tests override what they need.
pub fn achievement_fields() -> Value {
    json!({
        "title": "硫化物固态电解质规模化制备技术",
        "summary": "采用液相法合成 Li6PS5Cl 硫化物固态电解质，室温离子电导率达到 5 mS/cm，批次稳定。",
        "confidentialDetail": "秘密工艺参数 MARKER-ACH-SECRET",
        "keywords": ["固态电池", "硫化物电解质"],
        "applicationFields": "动力电池、储能电池",
        "advantages": "离子电导率高，成本降低 30%",
        "requirements": "具备锂电材料生产线",
        "discipline": "43070",
        "industries": ["C3841"],
        "trl": 5,
        "maturity": "LAB_SCALE",
        "transferModes": ["LICENSE_NON_EXCLUSIVE", "JOINT_DEVELOPMENT"],
        "price": { "min": 500000, "max": 2000000 },
        "teamLead": "李教授",
        "inventors": ["李教授", "张博士"],
        "registrationNumber": "9370200Y0123",
        "tracks": [],
        "ip": [{ "kind": "INVENTION_PATENT", "number": "ZL202310123456.6", "status": "GRANTED" }]
    })
}

/// Fields of a valid need.
pub fn need_fields() -> Value {
    json!({
        "title": "动力电池快充与低温性能提升",
        "problem": "现有磷酸铁锂电池在零下二十度容量衰减明显，快充时间长，需要新材料方案。",
        "requirements": "-20℃ 容量保持率 ≥ 85%，15 分钟充至 80%",
        "confidentialDetail": "客户项目代号 MARKER-NEED-SECRET",
        "keywords": ["快充", "低温电池"],
        "industries": ["C384"],
        "discipline": "430",
        "minTrl": 6,
        "cooperationModes": ["COMMISSIONED_DEVELOPMENT", "ASSIGNMENT"],
        "budget": { "min": 300000, "max": 1000000 },
        "deadline": "2027-06-30",
        "visibility": "PUBLIC",
        "tracks": []
    })
}

pub const CREATE_ACHIEVEMENT: &str = "mutation($input: CreateAchievementInput!) { createAchievement(input: $input) { achievement { id title status confidentialDetail } userErrors { field code message } } }";
pub const CREATE_NEED: &str = "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id title status visibility confidentialDetail } userErrors { field code message } } }";

impl TestApp {
    /// Creates a result from `fields` as the owner's admin and returns its id.
    pub async fn create_achievement(&self, owner: &Org, fields: Value) -> String {
        self.create_listing(CREATE_ACHIEVEMENT, "achievement", owner, fields)
            .await
    }

    /// Creates a need from `fields` as the owner's admin and returns its id.
    pub async fn create_need(&self, owner: &Org, fields: Value) -> String {
        self.create_listing(CREATE_NEED, "need", owner, fields)
            .await
    }

    /// Runs `mutation` (one of the two above) with `fields` as the listing's `object`
    /// (`achievement` or `need`), remembers who owns the new listing and returns its id.
    async fn create_listing(
        &self,
        mutation: &str,
        object: &str,
        owner: &Org,
        fields: Value,
    ) -> String {
        let vars = json!({ "input": { "ownerId": owner.id, object: fields } });
        let data = self.gql_ok_as(&owner.token, mutation, vars).await;
        let payload = data
            .as_object()
            .and_then(|o| o.values().next())
            .expect("payload");
        assert_eq!(payload["userErrors"], json!([]), "{data}");
        let id = payload[object]["id"].as_str().expect("id").to_owned();
        self.owners
            .lock()
            .unwrap()
            .insert(id.clone(), owner.token.clone());
        id
    }

    /// The admin token of the organisation that owns listing `id`.
    pub fn owner_token(&self, id: &str) -> String {
        self.owners
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .expect("listing created through the helpers")
    }

    /// Runs a lifecycle mutation (`publishAchievement`, `renewNeed`, …) as the listing's owner.
    pub async fn lifecycle(&self, mutation: &str, id: &str) -> Value {
        let token = self.owner_token(id);
        self.lifecycle_as(&token, mutation, id).await
    }

    /// Runs a lifecycle mutation with `token` and returns its payload.
    pub async fn lifecycle_as(&self, token: &str, mutation: &str, id: &str) -> Value {
        let object = if mutation.ends_with("Achievement") {
            "achievement"
        } else {
            "need"
        };
        let query = format!(
            "mutation($input: ListingIdInput!) {{ {mutation}(input: $input) {{ {object} {{ id status expiresAt moderationNote }} userErrors {{ field code message }} }} }}"
        );
        let data = self
            .gql_ok_as(token, &query, json!({ "input": { "id": id } }))
            .await;
        data[mutation].clone()
    }

    /// Creates and publishes a result.
    pub async fn published_achievement(&self, owner: &Org, fields: Value) -> String {
        let id = self.create_achievement(owner, fields).await;
        self.publish("publishAchievement", id).await
    }

    /// Creates and publishes a need.
    pub async fn published_need(&self, owner: &Org, fields: Value) -> String {
        let id = self.create_need(owner, fields).await;
        self.publish("publishNeed", id).await
    }

    /// Publishes listing `id` with `mutation` as its owner and returns the id.
    async fn publish(&self, mutation: &str, id: String) -> String {
        let payload = self.lifecycle(mutation, &id).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        id
    }
}

/// The `extensions.code` of a response's first error ("" when it has none).
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// Merges `patch` into a copy of `base`.
pub fn with(base: Value, patch: Value) -> Value {
    let mut out = base;
    if let (Some(o), Some(p)) = (out.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            o.insert(k.clone(), v.clone());
        }
    }
    out
}

impl TestApp {
    /// A plain GET of `path` (`/readyz`, `/metrics`) on the app's address.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.address);
        self.client.get(url).send().await.expect("GET")
    }

    /// The application's current time as RFC 3339.
    pub fn clock_now(&self) -> String {
        use qianxian::clock::Clock;
        self.clock.now().to_rfc3339()
    }
}

/// The global ids of test apps, which sign with the development secret (production-mode test
/// apps have a secret of their own, and so ids of their own).
pub fn test_ids() -> IdCodec {
    IdCodec::new(qianxian::config::DEVELOPMENT_SECRET.as_bytes())
}

/// The row id behind a test app's global id.
#[allow(dead_code)]
pub fn id_of(global: &str) -> i32 {
    test_ids().decode_any(global).expect("a global id").1
}

/// A test app's global id of row `id` of type `kind`, which may not exist.
#[allow(dead_code)]
pub fn global_id(kind: NodeType, id: i32) -> String {
    test_ids().encode(kind, id)
}

impl TestApp {
    /// Registers a user with platform roles (set by the system, as an operator would) and
    /// returns their access token.
    pub async fn staff_token(&self, name: &str, operator: bool, broker: bool) -> String {
        let token = self.user_token(name).await;
        let id = self.user_id(&token).await;
        self.services
            .members
            .set_roles(&Actor::System, id, operator, broker)
            .await
            .expect("roles set");
        token
    }

    /// A broker's access token (a user with the broker role only).
    pub async fn broker_token(&self, name: &str) -> String {
        self.staff_token(name, false, true).await
    }

    /// An operator's access token (a user with the operator role only).
    pub async fn operator_token(&self, name: &str) -> String {
        self.staff_token(name, true, false).await
    }

    /// Adds an active priority track (as an operator would).
    pub async fn add_track(&self, code: &str, name: &str) {
        let track = qianxian::domain::PriorityTrack {
            code: code.into(),
            name: name.into(),
            description: String::new(),
            sort_order: 0,
            active: true,
        };
        self.services
            .tracks
            .upsert(&TestApp::system(), track)
            .await
            .expect("track");
    }

    /// The user id behind a token.
    pub async fn user_id(&self, token: &str) -> i32 {
        let me = self.gql_ok_as(token, "{ me { id } }", json!({})).await;
        id_of(me["me"]["id"].as_str().expect("me.id"))
    }

    /// Registers a user who joins `org` as a plain member (approved by its admin).
    pub async fn member_token(&self, org: &Org, name: &str) -> String {
        let token = self.user_token(name).await;
        let asked = self
            .gql_ok_as(&token, "mutation($o: ID!) { requestMembership(input: { organizationId: $o }) { request { id } } }", json!({ "o": org }))
            .await;
        self.gql_ok_as(
            &org.token,
            "mutation($r: ID!) { approveMembership(input: { requestId: $r }) { request { status } } }",
            json!({ "r": asked["requestMembership"]["request"]["id"] }),
        )
        .await;
        // Membership is read from the user row at authentication, so the old token still works.
        token
    }

    /// Runs the background jobs once: index the outbox, then store matches and alerts.
    pub async fn run_jobs(&self) {
        self.services.search.catch_up().await.expect("indexing");
        self.services
            .matching
            .refresh_stored()
            .await
            .expect("stored matches");
    }

    /// Opens a graphql-transport-ws connection authenticated with `token`.
    pub async fn websocket(&self, token: Option<&str>) -> Ws {
        use futures::SinkExt;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = self.address.replace("http://", "ws://") + "/graphql/ws";
        let mut req = url.into_client_request().expect("ws request");
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("websocket connects");
        let payload = match token {
            Some(t) => json!({ "authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        socket
            .send(ws_text(
                json!({ "type": "connection_init", "payload": payload }),
            ))
            .await
            .expect("init sent");
        let ack = next_json(&mut socket).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        Ws { socket }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A GraphQL WebSocket client (graphql-transport-ws).
pub struct Ws {
    socket: Socket,
}

fn ws_text(v: Value) -> tokio_tungstenite::tungstenite::Message {
    tokio_tungstenite::tungstenite::Message::Text(v.to_string().into())
}

/// The next JSON message, skipping pings; fails the test after 10 s of silence.
async fn next_json(socket: &mut Socket) -> Value {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .expect("valid frame");
        match msg {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).expect("json message");
                if v["type"] == "ping" {
                    socket.send(ws_text(json!({ "type": "pong" }))).await.ok();
                    continue;
                }
                return v;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

impl Ws {
    /// Reads until the server closes the socket; returns the close code and reason (a result
    /// that arrives first fails the test: nothing may be delivered on a closed session).
    pub async fn closed(&mut self) -> (u16, String) {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame within 10 s");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).expect("json message");
                    assert!(
                        v["type"] == "ping" || v["type"] == "pong" || v["type"] == "complete",
                        "nothing is delivered on an ended session: {v}"
                    );
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Sends a graphql-transport-ws message as a binary frame.
    pub async fn send_binary(&mut self, message: Value) {
        use futures::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Binary(
                message.to_string().into_bytes().into(),
            ))
            .await
            .expect("sent");
    }

    /// Starts a subscription under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        use futures::SinkExt;
        self.socket
            .send(ws_text(json!({
                "id": id, "type": "subscribe",
                "payload": { "query": query, "variables": variables }
            })))
            .await
            .expect("subscribe sent");
    }

    /// The next message from the server.
    pub async fn next(&mut self) -> Value {
        next_json(&mut self.socket).await
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// A fake market served over real HTTP on a free port, with its control API.
pub struct FakeMarket {
    pub url: String,
    client: reqwest::Client,
}

impl FakeMarket {
    /// Starts a fake `market` with `listings` generated records.
    pub async fn start(market: qianxian::connectors::Market, listings: usize, seed: u64) -> Self {
        use qianxian::connectors::fake;
        qianxian::connectors::http::install_crypto();
        let router = fake::router(
            market,
            listings,
            seed,
            fake::Credentials::default(),
            fake::Faults::default(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            client: reqwest::Client::new(),
        }
    }

    /// Connector settings pointing at this fake, with fast retries for tests.
    pub fn settings(&self) -> qianxian::connectors::MarketSettings {
        let creds = qianxian::connectors::fake::Credentials::default();
        qianxian::connectors::MarketSettings {
            enabled: true,
            base_url: self.url.clone(),
            token: creds.token,
            app_key: creds.app_key,
            app_secret: creds.app_secret,
            every_minutes: 0,
            page_size: 10,
            resilience: qianxian::connectors::http::Resilience {
                timeout_ms: 400,
                attempts: 8,
                base_delay_ms: 1,
                max_delay_ms: 20,
                per_second: 1000,
                breaker_threshold: 50,
                breaker_cooldown_ms: 60_000,
            },
        }
    }

    /// Replaces the injected faults.
    pub async fn faults(&self, faults: Value) {
        let status = self
            .client
            .post(format!("{}/_faults", self.url))
            .json(&faults)
            .send()
            .await
            .expect("faults set")
            .status();
        assert!(status.is_success(), "{status}");
    }

    /// Adds or changes records (in the market's own shape).
    pub async fn put(&self, records: Value) {
        let status = self
            .client
            .post(format!("{}/_records", self.url))
            .json(&records)
            .send()
            .await
            .expect("records put")
            .status();
        assert!(status.is_success(), "{status}");
    }

    /// Takes a record down (`offline` or `deleted`).
    pub async fn remove(&self, id: &str, how: &str) {
        let status = self
            .client
            .post(format!("{}/_remove", self.url))
            .json(&json!({ "id": id, "how": how }))
            .send()
            .await
            .expect("removed")
            .status();
        assert!(status.is_success(), "{status}");
    }

    /// A record as the market holds it.
    pub async fn record(&self, id: &str) -> Value {
        self.client
            .get(format!("{}/_records/{id}", self.url))
            .send()
            .await
            .expect("record")
            .json()
            .await
            .expect("json")
    }

    /// The fake's counters.
    pub async fn stats(&self) -> Value {
        self.client
            .get(format!("{}/_stats", self.url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("json")
    }
}
