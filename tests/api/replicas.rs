//! Several `qianxian serve` replicas on one database, and concurrency on it: every committed
//! listing change reaches every replica's index whatever the commit order (a long transaction
//! among short ones), concurrent changes to one listing lose nothing, background jobs run on
//! one replica and move when it goes, job notifications are unique, migrations from replicas
//! started together succeed, and a database fault reads as 503, never as a bad token.
//!
//! The suite runs on SQLite and on PostgreSQL (`QIANXIAN_TEST_DATABASE_URL`); the parts that
//! need a second writer inside a transaction run on PostgreSQL only, since SQLite has one
//! writer at a time.

use crate::common::*;
use qianxian::service::jobs::Job;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SEARCH_IDS: &str = "query($q: String!) { search(query: $q, kind: ACHIEVEMENT, first: 100) { totalCount edges { node { ... on Achievement { id } } } } }";

/// The ids a replica's search finds for `q`.
async fn found(app: &TestApp, q: &str) -> BTreeSet<String> {
    let data = app.gql_ok(SEARCH_IDS, json!({ "q": q })).await;
    data["search"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect()
}

fn titanium(i: usize) -> Value {
    with(
        achievement_fields(),
        json!({
            "title": format!("海水淡化耐腐蚀钛合金管材第{i}代"),
            "summary": "TITANWELD 钛合金焊接管材用于海水淡化装置，耐氯离子腐蚀。",
            "keywords": ["钛合金", "海水淡化"],
            "registrationNumber": null,
            "ip": []
        }),
    )
}

#[tokio::test]
async fn every_committed_change_reaches_every_replica_whatever_the_commit_order() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let uni = a.university("青岛副本大学").await;
    let early = a.published_achievement(&uni, titanium(0)).await;

    // A long transaction (an import, say) takes its outbox id first and commits last.
    let long = if a.is_postgres() {
        let conn = sea_orm::Database::connect(a.database_url())
            .await
            .expect("connect");
        let txn = conn.begin().await.expect("begin");
        let id = id_of(&early);
        txn.execute_unprepared(&format!(
            "UPDATE achievements SET summary = 'LONGTXMARK 长事务改写的摘要' WHERE id = {id}"
        ))
        .await
        .expect("update");
        txn.execute_unprepared(&format!(
            "INSERT INTO listing_outbox (listing_kind, listing_id, change, created_at) \
             VALUES ('achievement', {id}, 'upsert', CURRENT_TIMESTAMP)"
        ))
        .await
        .expect("outbox");
        Some((conn, txn))
    } else {
        None
    };

    // Eight writers create and publish through both replicas at once, while both indexers
    // keep catching up.
    let writers = (0..8).map(|w| {
        let (a, b, uni) = (&a, &b, &uni);
        async move {
            let mut ids = Vec::new();
            for i in 0..5 {
                let via = if (w + i) % 2 == 0 { a } else { b };
                ids.push(
                    via.published_achievement(uni, titanium(1 + w * 5 + i))
                        .await,
                );
                via.services.search.catch_up().await.expect("indexing");
            }
            ids
        }
    });
    let mut published: BTreeSet<String> = futures::future::join_all(writers)
        .await
        .into_iter()
        .flatten()
        .collect();
    published.insert(early.clone());
    for app in [&a, &b] {
        app.services.search.catch_up().await.expect("indexing");
    }

    if let Some((conn, txn)) = long {
        txn.commit().await.expect("commit");
        conn.close().await.ok();
    }
    for app in [&a, &b] {
        app.services.search.catch_up().await.expect("indexing");
        assert_eq!(
            found(app, "钛合金 海水淡化").await,
            published,
            "every published listing is searchable on every replica"
        );
        if a.is_postgres() {
            assert_eq!(
                found(app, "LONGTXMARK").await,
                BTreeSet::from([early.clone()]),
                "the change the long transaction committed last is indexed too"
            );
        }
        assert_eq!(
            app.services.search.index_lag().await.expect("lag"),
            0,
            "nothing is left behind"
        );
    }
}

async fn update(app: &TestApp, token: &str, id: &str, patch: Value) {
    const UPDATE: &str = "mutation($id: ID!, $patch: AchievementPatch!) { updateAchievement(input: { id: $id, patch: $patch }) { achievement { id } userErrors { code message } } }";
    let data = app
        .gql_ok_as(token, UPDATE, json!({ "id": id, "patch": patch }))
        .await;
    assert_eq!(data["updateAchievement"]["userErrors"], json!([]), "{data}");
}

#[tokio::test]
async fn concurrent_changes_to_one_listing_both_take_effect() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let uni = a.university("青岛并发大学").await;
    const READ: &str =
        "query($id: ID!) { node(id: $id) { ... on Achievement { status summary advantages } } }";
    let mut pairs = Vec::new();
    for i in 0..12 {
        pairs.push((i, a.create_achievement(&uni, titanium(i)).await));
    }
    let races = pairs.iter().map(|(i, id)| {
        let (a, b, token) = (&a, &b, uni.token.as_str());
        async move {
            let summary = json!({ "summary": format!("第{i}次并发修改后的摘要") });
            if i % 2 == 0 {
                // publish + update: both effects stay.
                let (published, ()) = tokio::join!(
                    b.lifecycle_as(token, "publishAchievement", id),
                    update(a, token, id, summary)
                );
                assert_eq!(published["userErrors"], json!([]), "{published}");
            } else {
                // update + update of different fields: both stay.
                let advantages = json!({ "advantages": format!("第{i}次并发修改后的优势") });
                tokio::join!(
                    update(a, token, id, summary),
                    update(b, token, id, advantages)
                );
            }
        }
    });
    futures::future::join_all(races).await;
    // Both indexes agree with the database: exactly the published ones are found.
    let published: BTreeSet<String> = pairs
        .iter()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    for app in [&a, &b] {
        app.services.search.catch_up().await.expect("indexing");
        assert_eq!(found(app, "钛合金 海水淡化").await, published);
    }
    for (i, id) in &pairs {
        let node = a.gql_ok_as(&uni.token, READ, json!({ "id": id })).await["node"].clone();
        assert_eq!(
            node["summary"],
            format!("第{i}次并发修改后的摘要"),
            "{node}"
        );
        if i % 2 == 0 {
            assert_eq!(node["status"], "PUBLISHED", "{node}");
        } else {
            assert_eq!(
                node["advantages"],
                format!("第{i}次并发修改后的优势"),
                "{node}"
            );
        }
    }
}

#[tokio::test]
async fn a_background_job_runs_on_one_replica_and_moves_when_that_replica_goes() {
    let a = spawn_app().await;
    let b = a.replica().await;
    // A started first: its first passes took the leases.
    for job in [Job::Sweep, Job::StoredMatches] {
        assert!(a.services.jobs.hold(job).await.unwrap(), "{job:?} on A");
        assert!(
            !b.services.jobs.hold(job).await.unwrap(),
            "{job:?} not on B"
        );
    }
    let (holder, _) = b
        .services
        .jobs
        .holder_of(Job::Sweep)
        .await
        .unwrap()
        .expect("held");
    assert_eq!(holder, a.services.jobs.holder());

    // A stops answering (killed, paused): after one lease period B takes its work over.
    a.clock.advance(chrono::Duration::seconds(31));
    assert!(b.services.jobs.hold(Job::Sweep).await.unwrap());
    assert!(
        !a.services.jobs.hold(Job::Sweep).await.unwrap(),
        "A, back, finds the job taken"
    );

    // A replica that stops cleanly gives its leases back at once.
    let c = b.replica().await;
    assert!(!c.services.jobs.hold(Job::Sweep).await.unwrap());
    b.stop().await;
    assert!(c.services.jobs.hold(Job::Sweep).await.unwrap());
}

#[tokio::test]
async fn a_job_run_twice_at_once_notifies_each_person_once() {
    let a = spawn_app_with(Options {
        match_notify_threshold: Some(0.0),
        ..Default::default()
    })
    .await;
    let b = a.replica().await;
    let uni = a.university("青岛通知大学").await;
    let firm = a.enterprise("青岛通知科技有限公司").await;
    a.published_achievement(&uni, achievement_fields()).await;
    a.published_need(
        &firm,
        with(
            need_fields(),
            json!({ "title": "固态电池电解质材料需求", "problem": "寻求硫化物固态电解质的规模化制备技术，用于固态电池。", "keywords": ["固态电池", "硫化物电解质"] }),
        ),
    )
    .await;
    for app in [&a, &b] {
        app.services.search.catch_up().await.expect("indexing");
    }
    // Both replicas run the stored-matches job at the same moment (as if the lease had just
    // moved); one may be refused by the other's commit, and a later pass finds nothing new.
    let (ra, rb) = tokio::join!(
        a.services.matching.refresh_stored(),
        b.services.matching.refresh_stored()
    );
    assert!(ra.is_ok() || rb.is_ok(), "{ra:?} {rb:?}");
    for app in [&a, &b] {
        let _ = app.services.matching.refresh_stored().await;
    }
    let db = &a.services.context().db.conn;
    let counts = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT user_id, event_key, COUNT(*) AS n FROM notifications \
             WHERE kind = 'NEW_MATCH' GROUP BY user_id, event_key",
        ))
        .await
        .expect("counts");
    assert!(!counts.is_empty(), "the match was announced");
    for row in counts {
        let n: i64 = row.try_get("", "n").expect("n");
        assert_eq!(n, 1, "one notification per person and event");
    }
}

#[tokio::test]
async fn replicas_started_together_on_an_empty_database_all_start() {
    // Three processes start at the same moment against a new empty database: they take
    // turns applying the migrations, and each serves.
    let replicas = spawn_replicas_together(3).await;
    for app in &replicas {
        let ready = app
            .client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), 200);
    }
}

#[tokio::test]
async fn an_index_built_from_another_database_is_rebuilt_not_trusted() {
    let app = spawn_app().await;
    let uni = app.university("青岛重建大学").await;
    for i in 0..3 {
        app.published_achievement(&uni, titanium(i)).await;
    }
    app.services.search.catch_up().await.expect("indexing");
    assert_eq!(found(&app, "钛合金").await.len(), 3);

    // The database is recreated empty; the data folder (and its index) stays.
    let app = app.restart_on_a_new_database().await;
    let uni = app.university("青岛新库大学").await;
    let new = app.published_achievement(&uni, titanium(9)).await;
    app.services.search.catch_up().await.expect("indexing");
    assert_eq!(
        found(&app, "钛合金").await,
        BTreeSet::from([new]),
        "the new listing is found and the old database's are gone"
    );
}

#[tokio::test]
async fn readiness_waits_for_the_index_and_metrics_show_its_lag() {
    let app = spawn_app_with(Options {
        max_ready_lag: Some(1),
        ..Default::default()
    })
    .await;
    let uni = app.university("青岛就绪大学").await;
    for i in 0..2 {
        app.published_achievement(&uni, titanium(i)).await;
    }
    let readyz = format!("{}/readyz", app.address);
    let not_ready = app.client.get(&readyz).send().await.unwrap();
    assert_eq!(not_ready.status(), 503);
    assert!(not_ready.text().await.unwrap().contains("behind"));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("qianxian_index_lag ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    app.services.search.catch_up().await.expect("indexing");
    assert_eq!(app.client.get(&readyz).send().await.unwrap().status(), 200);

    // A large commit puts every replica behind at once; one whose index was complete a
    // moment ago stays ready while it works through it.
    let busy = spawn_app_with(Options {
        max_ready_lag: Some(1),
        ready_grace_secs: Some(3600),
        ..Default::default()
    })
    .await;
    let uni = busy.university("青岛追赶大学").await;
    for i in 0..2 {
        busy.published_achievement(&uni, titanium(i)).await;
    }
    let ready = busy.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let said = ready.text().await.unwrap();
    assert!(said.contains("catching up"), "{said}");
    // The probe is public: how many changes are pending (hidden ones too) is not said.
    assert!(!said.chars().any(|c| c.is_ascii_digit()), "{said}");
}

#[tokio::test]
async fn an_index_ahead_of_its_database_rebuilds_instead_of_waiting() {
    // The database lost commits the index had applied (a failover to a standby that was
    // behind): new changes get places the index believes it passed.
    let app = spawn_app().await;
    let uni = app.university("青岛回退大学").await;
    app.published_achievement(&uni, titanium(1)).await;
    app.services.search.catch_up().await.expect("indexing");
    let keep = app.services.search.outbox_cursor() - 3;
    app.services
        .context()
        .db
        .conn
        .execute_unprepared(&format!("DELETE FROM listing_outbox WHERE seq > {keep}"))
        .await
        .expect("lose the last commits");
    let new = app.published_achievement(&uni, titanium(2)).await;
    app.services.search.catch_up().await.expect("indexing");
    assert!(
        found(&app, "钛合金").await.contains(&new),
        "the listing placed after the loss is found"
    );
}

#[tokio::test]
async fn a_scheduled_sync_period_is_claimed_by_one_replica() {
    use qianxian::connectors::Market;
    let a = spawn_app().await;
    let b = a.replica().await;
    let every = std::time::Duration::from_secs(600);
    let job = Job::Sync(Market::Marine);
    assert!(a.services.jobs.claim_period(job, every).await.unwrap());
    assert!(!b.services.jobs.claim_period(job, every).await.unwrap());
    // B's timer ticks later in the same period: still A's.
    a.clock.advance(chrono::Duration::seconds(300));
    assert!(!b.services.jobs.claim_period(job, every).await.unwrap());
    // The next period goes to whoever ticks first, once.
    a.clock.advance(chrono::Duration::seconds(300));
    assert!(b.services.jobs.claim_period(job, every).await.unwrap());
    assert!(!a.services.jobs.claim_period(job, every).await.unwrap());
}

#[tokio::test]
async fn past_the_in_flight_bound_requests_are_shed_with_retry_after() {
    let app = spawn_app_with(Options {
        max_in_flight: Some(1),
        ..Default::default()
    })
    .await;
    let uni = app.university("青岛限流大学").await;
    let id = app.create_achievement(&uni, titanium(1)).await;
    // Another writer holds the listing (on SQLite: the write lock), so the first request
    // waits inside the service.
    let conn = sea_orm::Database::connect(app.database_url())
        .await
        .expect("connect");
    let blocker = conn.begin().await.unwrap();
    let hold = if app.is_postgres() {
        format!(
            "SELECT id FROM achievements WHERE id = {} FOR UPDATE",
            id_of(&id)
        )
    } else {
        format!(
            "UPDATE achievements SET title = title WHERE id = {}",
            id_of(&id)
        )
    };
    blocker.execute_unprepared(&hold).await.unwrap();
    let slow = app.lifecycle_as(&uni.token, "publishAchievement", &id);
    let probe = async {
        // Once the slow request holds the only place, the next one is refused at once.
        let metrics = format!("{}/metrics", app.address);
        loop {
            let text = app
                .client
                .get(&metrics)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if text.lines().any(|l| l == "qianxian_requests_in_flight 1") {
                break;
            }
            tokio::task::yield_now().await;
        }
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503);
        let retry = resp.headers().get("retry-after").cloned();
        let body: Value = resp.json().await.unwrap();
        blocker.commit().await.unwrap();
        (retry, body)
    };
    let (published, (retry, body)) = tokio::join!(slow, probe);
    assert_eq!(retry.expect("Retry-After"), "1");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    assert_eq!(
        published["userErrors"],
        json!([]),
        "the admitted request completes"
    );
    assert_eq!(published["achievement"]["status"], "PUBLISHED");
}

#[tokio::test]
async fn a_database_outage_reads_as_unavailable_and_never_as_a_bad_token() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        // An SQLite file cannot be taken away from an open pool; PostgreSQL's can.
        return;
    }
    let token = app.user_token("断库测试用户").await;
    assert!(app.gql_as(&token, "{ me { id } }", json!({})).await["errors"].is_null());
    let url = app.database_url().to_owned();
    let (base, name) = url.rsplit_once('/').expect("database name");
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .expect("admin connection");
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop");
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        503,
        "a token is judged only when the database answered"
    );
    assert!(resp.headers().get("www-authenticate").is_none());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains(name) && !message.contains("database"),
        "{message}"
    );

    let anonymous = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ organizations(first: 5) { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 503);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn a_subscriber_on_one_replica_hears_of_a_change_made_on_another() {
    let a = spawn_app().await;
    if !a.is_postgres() {
        // On SQLite one process serves; replicas need PostgreSQL.
        return;
    }
    let b = a.replica().await;
    let university = a.university("青岛跨副本大学").await;
    let firm = a.enterprise("青岛跨副本企业有限公司").await;
    let broker = a.broker_token("跨副本经纪人").await;
    // A colleague of the requester is told of each request the firm makes. It listens on B
    // from after the first notice, so the second one replayed tells that its stream is live;
    // what the broker then does on A can only reach it through the cluster feed.
    let colleague = a.member_token(&firm, "跨副本企业同事").await;
    let request = "mutation($a: ID!) { requestPairing(input: { achievementId: $a, message: \"申请对接\" }) { pairing { id } userErrors { code } } }";
    let mut pairings = Vec::new();
    for i in 0..2 {
        let fields = with(
            achievement_fields(),
            json!({ "title": format!("跨副本成果第{i}号") }),
        );
        let achievement = a.published_achievement(&university, fields).await;
        let asked = a
            .gql_ok_as(&firm.token, request, json!({ "a": achievement }))
            .await;
        pairings.push(asked["requestPairing"]["pairing"]["id"].clone());
    }
    let inbox = b
        .gql_ok_as(
            &colleague,
            "{ notifications(first: 2) { nodes { id pairingId } } }",
            json!({}),
        )
        .await;
    let told = &inbox["notifications"]["nodes"];
    assert_eq!(told[0]["pairingId"], pairings[1], "newest first: {inbox}");
    let mut ws = b.websocket(Some(&colleague)).await;
    ws.subscribe(
        "1",
        "subscription($after: ID) { notificationAdded(afterId: $after) { id kind title pairingId } }",
        json!({ "after": told[1]["id"] }),
    )
    .await;
    let replayed = ws.next().await;
    assert_eq!(
        replayed["payload"]["data"]["notificationAdded"]["pairingId"], pairings[1],
        "{replayed}"
    );
    let pairing = pairings[0].clone();

    a.gql_ok_as(
        &broker,
        "mutation($id: ID!) { takePairing(input: { id: $id }) { userErrors { code } } }",
        json!({ "id": pairing }),
    )
    .await;
    let heard = ws.next().await;
    assert_eq!(heard["type"], "next", "{heard}");
    let event = &heard["payload"]["data"]["notificationAdded"];
    assert_eq!(event["pairingId"], pairing);
    assert!(
        event["title"].as_str().unwrap().ends_with("已受理"),
        "{event}"
    );
    ws.close().await;
}

#[tokio::test]
async fn one_market_is_pulled_by_one_run_at_a_time_across_replicas() {
    use qianxian::connectors::{ConnectorsSettings, Market};
    use qianxian::service::Actor;
    use qianxian::service::sync::Trigger;
    let fake = FakeMarket::start(Market::Provincial, 5, 3).await;
    let connectors = ConnectorsSettings {
        provincial: fake.settings(),
        ..Default::default()
    };
    let a = spawn_app_with(Options {
        connectors: Some(connectors),
        ..Default::default()
    })
    .await;
    let b = a.replica().await;
    // A run is under way on A (it holds the market's run lease).
    assert!(
        a.services
            .jobs
            .hold(Job::SyncRun(Market::Provincial))
            .await
            .unwrap()
    );
    let refused = b
        .services
        .sync
        .run(&Actor::System, Market::Provincial, Trigger::Command, |_| {})
        .await
        .expect_err("a second run of the same market is refused");
    assert_eq!(refused.code(), qianxian::error::ErrorCode::Conflict);
    // When A's run ends, B may run; its own lease is given back when it ends.
    a.services
        .jobs
        .release(Job::SyncRun(Market::Provincial))
        .await;
    let run = b
        .services
        .sync
        .run(&Actor::System, Market::Provincial, Trigger::Command, |_| {})
        .await
        .expect("runs");
    assert_eq!(run.status, "SUCCEEDED", "{run:?}");
    assert!(
        a.services
            .jobs
            .hold(Job::SyncRun(Market::Provincial))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_persons_notifications_commit_in_the_order_of_their_ids() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        // SQLite has one writer: ids are commit order already.
        return;
    }
    let uni = app.university("青岛通知顺序大学").await;
    let operator = app.operator_token("通知顺序管理员").await;
    let id = app.published_achievement(&uni, titanium(1)).await;
    let admin = app.user_id(&uni.token).await;

    // Another transaction is storing a notification for the same person and has not
    // committed: it holds the person's inbox, as every storing transaction does.
    let conn = sea_orm::Database::connect(app.database_url())
        .await
        .expect("connect");
    let earlier = conn.begin().await.unwrap();
    earlier
        .execute_unprepared(&format!(
            "SELECT id FROM users WHERE id = {admin} FOR UPDATE"
        ))
        .await
        .unwrap();
    let first: i64 = earlier
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "INSERT INTO notifications (user_id, kind, title, body, created_at) \
                 VALUES ({admin}, 'MODERATION', '先到的通知', '先到的通知', now()) RETURNING id"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i32>("", "id")
        .unwrap()
        .into();

    // The operator's moderation notifies the same person: it waits its turn.
    let moderated = tokio::spawn({
        let (client, url, operator, id) = (
            app.client.clone(),
            format!("{}/graphql", app.address),
            operator.clone(),
            id.clone(),
        );
        async move {
            client
                .post(url)
                .bearer_auth(operator)
                .json(&json!({ "query": "mutation($id: ID!) { moderateAchievement(input: { id: $id, reason: \"价格信息明显有误\" }) { achievement { status } } }", "variables": { "id": id } }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    loop {
        assert!(
            !moderated.is_finished(),
            "a later notification committed before an earlier, lower-numbered one"
        );
        let waiting = app
            .count("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            .await;
        if waiting > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    earlier.commit().await.unwrap();
    let body = moderated.await.unwrap();
    assert_eq!(
        body["data"]["moderateAchievement"]["achievement"]["status"], "WITHDRAWN",
        "{body}"
    );
    let inbox = app
        .gql_ok_as(
            &uni.token,
            "{ notifications(first: 10) { nodes { id title } } }",
            json!({}),
        )
        .await;
    let ids: Vec<i64> = inbox["notifications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| id_of(n["id"].as_str().unwrap()).into())
        .collect();
    assert!(ids.contains(&first), "{inbox}");
    assert!(
        ids.iter().any(|&n| n > first),
        "the moderation notice came after, with a higher id: {inbox}"
    );
}
