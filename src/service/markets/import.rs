//! Spreadsheet import of research results: a transfer office's CSV or XLSX list becomes
//! listings of its organisation, row by row, with a report of what each row did.
//!
//! - The header row is mapped onto the template (`import_columns`); a file without the
//!   required columns is refused before anything is read further.
//! - Each row is read, validated like a form, and classified: CREATE, UPDATE (its 成果编号
//!   was imported before), UNCHANGED, EXISTING (the organisation already has this result,
//!   recognised as market sync recognises duplicates) or REJECT with every error by column.
//! - A dry run writes nothing. `ALL_OR_NOTHING` writes the whole file in one transaction and
//!   rolls it back if any row is rejected; `PER_ROW` writes the good rows (a batch per
//!   transaction) and reports the others.
//! - Rows stream from a reader thread and are written in batches, so a 50,000-row file
//!   needs no more memory than a small one (apart from the per-row report).

use crate::db::outbox::ListingKind;
use crate::db::sync::{self as links, NewLink};
use crate::domain::{Achievement, ListingSource};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::listings::achievements::AchievementService;
use crate::service::markets::dedup::{Siblings, hash64, normalise};
use crate::service::markets::import_columns::{ImportField, Layout, header_of_input, parse_row};
use crate::service::{Actor, Context, policy};
use crate::sheet::{self, SheetEvent, SheetInput};
use sea_orm::DatabaseTransaction;
use std::collections::HashMap;
use std::sync::Arc;

/// Rows written per transaction in `PER_ROW` mode, and rows between progress reports.
const BATCH: usize = 500;
/// Rows the reader may run ahead.
const READ_AHEAD: usize = 2_000;

/// How a real run treats rejected rows.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Any rejected row: nothing is written.
    #[default]
    AllOrNothing,
    /// Good rows are written, rejected rows reported.
    PerRow,
}

/// What to do with a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Report only; write nothing.
    pub dry_run: bool,
    /// All or nothing, or row by row.
    pub mode: ImportMode,
    /// Publish new results at once (the organisation must be verified); otherwise drafts.
    pub publish: bool,
    /// File header → template column, for layouts other than the template.
    pub mapping: Vec<(String, ImportField)>,
}

/// What one row did (or, in a dry run, would do).
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// A new result.
    Create,
    /// The result this 成果编号 created before, changed.
    Update,
    /// The result this 成果编号 created before, already the same.
    Unchanged,
    /// The organisation already has this result (same title, patent or nearly the same
    /// title): linked, not created again, its content left alone.
    Existing,
    /// Not imported; see the errors.
    Reject,
}

impl RowAction {
    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Create => "新建",
            Self::Update => "更新",
            Self::Unchanged => "无变化",
            Self::Existing => "已存在",
            Self::Reject => "拒绝",
        }
    }
}

/// One cell's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The template header of the column ("" for the row as a whole).
    pub column: String,
    /// Stable error code.
    pub code: ErrorCode,
    /// Message for people.
    pub message: String,
}

/// What happened to one row.
#[derive(Debug, Clone)]
pub struct RowReport {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    /// 成果编号, if given.
    pub key: Option<String>,
    /// The title as given.
    pub title: String,
    /// What the row did.
    pub action: RowAction,
    /// The listing it created, changed or was recognised as (none in a dry run for CREATE).
    pub listing_id: Option<i32>,
    /// Why it was rejected.
    pub errors: Vec<RowError>,
}

/// The outcome of one file.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Nothing was meant to be written.
    pub dry_run: bool,
    /// The mode.
    pub mode: ImportMode,
    /// Something was written (false for a dry run, and for ALL_OR_NOTHING with rejections).
    pub applied: bool,
    /// Header cells that map to no column (not imported).
    pub ignored_columns: Vec<String>,
    /// Every data row, in file order.
    pub rows: Vec<RowReport>,
}

impl ImportReport {
    /// Rows with this action.
    pub fn count(&self, action: RowAction) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }
}

/// Imports spreadsheets.
#[derive(Debug, Clone)]
pub struct ImportService {
    ctx: Arc<Context>,
    achievements: AchievementService,
}

/// What the import keeps while it walks the file.
struct Walk {
    owner: i32,
    tracks: Vec<crate::domain::PriorityTrack>,
    /// 成果编号 → (listing, created by that key).
    keys: HashMap<String, (i32, bool)>,
    /// The organisation's listings; rows of this file join with `-row` as id.
    siblings: Siblings,
    /// Hashes of normalised titles and of 成果编号 → first row that used them.
    seen_titles: HashMap<u64, u32>,
    seen_keys: HashMap<u64, u32>,
}

/// A row ready to be written.
enum Write {
    Create(Box<crate::domain::Achievement>),
    Update(Box<Achievement>),
    Link(i32),
}

impl ImportService {
    pub(crate) fn new(ctx: Arc<Context>, achievements: AchievementService) -> Self {
        Self { ctx, achievements }
    }

    /// Imports `input` (named `file_name`) as results of `owner_id`; members of that
    /// organisation and operators. `progress(done, total)` follows the rows.
    pub async fn import(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: SheetInput,
        file_name: &str,
        options: &ImportOptions,
        progress: impl Fn(u64, u64),
    ) -> ServiceResult<ImportReport> {
        let target = Target::org(owner_id);
        let r = self
            .walk_file(actor, owner_id, input, file_name, options, progress)
            .await;
        self.ctx
            .audit_failure(actor, "importAchievements", target, r)
            .await
    }

    async fn walk_file(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: SheetInput,
        file_name: &str,
        options: &ImportOptions,
        progress: impl Fn(u64, u64),
    ) -> ServiceResult<ImportReport> {
        policy::require_signed_in(actor)?;
        policy::may_edit_listing(actor, owner_id)?;
        let db = &self.ctx.db.conn;
        let owner = crate::db::organizations::find(db, owner_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        if options.publish && !owner.verified {
            return Err(ServiceError::coded(
                ErrorCode::Forbidden,
                "机构尚未通过认证，导入的成果只能保存为草稿；请去掉“直接发布”或先完成机构认证",
            ));
        }
        let mut walk = Walk {
            owner: owner_id,
            tracks: crate::db::tracks::all(db).await?,
            keys: links::links_with_prefix(
                db,
                ListingSource::Spreadsheet.as_str(),
                &key_prefix(owner_id),
            )
            .await?
            .into_iter()
            .map(|l| {
                let key = l.external_id[key_prefix(owner_id).len()..].to_owned();
                (key, (l.listing_id, l.link == "created"))
            })
            .collect(),
            siblings: Siblings::of_owner(db, ListingKind::Achievement, owner_id).await?,
            seen_titles: HashMap::new(),
            seen_keys: HashMap::new(),
        };
        // Uploads are bounded; the command line (an operator on the server) is not. The rows
        // are counted before anything is written: a size the file declares may be wrong.
        if !matches!(actor, Actor::System) {
            let copy = match &input {
                SheetInput::Bytes(bytes) => SheetInput::Bytes(bytes.clone()),
                SheetInput::Path(path) => SheetInput::Path(path.clone()),
            };
            let name = file_name.to_owned();
            // The header, the rows allowed, and one more.
            let stop_after = MAX_UPLOADED_ROWS + 2;
            let rows =
                tokio::task::spawn_blocking(move || sheet::count_rows(copy, &name, stop_after))
                    .await
                    .map_err(|e| ServiceError::Internal(e.into()))?
                    .map_err(|e| invalid_file(e.to_string()))?;
            if rows > MAX_UPLOADED_ROWS + 1 {
                return Err(too_many_rows());
            }
        }
        let mut rows = sheet::spawn(input, file_name.to_owned(), READ_AHEAD);
        let mut report = ImportReport {
            dry_run: options.dry_run,
            mode: options.mode,
            ..Default::default()
        };
        let mut total = 0u64;
        let mut layout: Option<Layout> = None;
        let mut batch: Vec<(RowReport, Option<Write>)> = Vec::with_capacity(BATCH);
        // ALL_OR_NOTHING holds one transaction over the whole file.
        let mut whole: Option<DatabaseTransaction> =
            if !options.dry_run && options.mode == ImportMode::AllOrNothing {
                Some(self.ctx.db.begin_write().await?)
            } else {
                None
            };
        loop {
            let event = rows.recv().await;
            let finished = event.is_none();
            if let Some(event) = event {
                match event.map_err(|e| invalid_file(e.to_string()))? {
                    SheetEvent::Size(n) => total = n.saturating_sub(1),
                    SheetEvent::Row(row) => match &layout {
                        None => {
                            let mapped = Layout::from_headers(&row.cells, &options.mapping);
                            layout = Some(mapped.map_err(invalid_file)?);
                        }
                        Some(layout) => batch.push(self.classify(&mut walk, layout, row).await?),
                    },
                }
            }
            if batch.len() == BATCH || finished {
                let txn = whole.as_ref();
                self.flush(actor, &mut walk, &mut batch, &mut report, options, txn)
                    .await?;
                progress(report.rows.len() as u64, total);
            }
            if finished {
                break;
            }
        }
        let Some(layout) = layout else {
            return Err(invalid_file("文件是空的：第一行应为表头".into()));
        };
        report.ignored_columns = layout.ignored;
        let rejected = report.count(RowAction::Reject);
        report.applied = !options.dry_run
            && report.rows.iter().any(|r| r.action != RowAction::Reject)
            && !(options.mode == ImportMode::AllOrNothing && rejected > 0);
        if let Some(txn) = whole.take() {
            if report.applied {
                self.ctx
                    .audit_ok(&txn, actor, "importAchievements", Target::org(owner_id))
                    .await?;
                txn.commit().await?;
            } else {
                txn.rollback().await?;
            }
        }
        if !report.applied {
            // Results of a dry run or of a rolled-back file were never created.
            for r in &mut report.rows {
                if r.action == RowAction::Create {
                    r.listing_id = None;
                }
            }
        }
        tracing::info!(
            owner_id,
            rows = report.rows.len(),
            created = report.count(RowAction::Create),
            updated = report.count(RowAction::Update),
            existing = report.count(RowAction::Existing),
            rejected,
            dry_run = options.dry_run,
            applied = report.applied,
            "achievement import finished"
        );
        Ok(report)
    }

    /// Reads, validates and classifies one row; nothing is written yet.
    async fn classify(
        &self,
        walk: &mut Walk,
        layout: &Layout,
        row: sheet::SheetRow,
    ) -> ServiceResult<(RowReport, Option<Write>)> {
        let parsed = parse_row(layout, &row.cells, &walk.tracks);
        let mut report = RowReport {
            row: row.number,
            key: parsed.key.clone(),
            title: parsed.input.title.clone(),
            action: RowAction::Reject,
            listing_id: None,
            errors: parsed.errors.iter().map(row_error).collect(),
        };
        let known = |code: &str| walk.tracks.iter().any(|t| t.code == code && t.active);
        // A result has no deadline, so any day will do.
        let content = match parsed.input.validate(&known, chrono::NaiveDate::MIN) {
            Ok(content) => Some(content),
            Err(fields) => {
                report.errors.extend(fields.iter().map(row_error));
                None
            }
        };
        let title_key = normalise(&parsed.input.title);
        if let Some(key) = &parsed.key
            && let Some(first) = walk.seen_keys.insert(hash64(key), row.number)
        {
            report
                .errors
                .push(whole_row(format!("成果编号“{key}”与第 {first} 行重复")));
        }
        let patents: Vec<String> = parsed
            .input
            .ip
            .iter()
            .filter_map(|i| i.number.clone())
            .collect();
        let keyed = parsed.key.as_ref().and_then(|k| walk.keys.get(k).copied());
        // A row that is neither an update through its key nor a repeat of an earlier row.
        let same = if keyed.is_none() {
            walk.siblings.find(&parsed.input.title, &patents)
        } else {
            None
        };
        if let Some(id) = same.filter(|id| *id < 0) {
            report.errors.push(whole_row(format!(
                "与第 {} 行是同一项成果（名称或专利号相同），请合并为一行",
                -id
            )));
        } else if !title_key.is_empty()
            && let Some(first) = walk.seen_titles.get(&hash64(&title_key))
            && keyed.is_none()
        {
            report
                .errors
                .push(whole_row(format!("成果名称与第 {first} 行重复")));
        }
        let Some(content) = content.filter(|_| report.errors.is_empty()) else {
            return Ok((report, None));
        };
        walk.seen_titles
            .entry(hash64(&title_key))
            .or_insert(row.number);
        let write = match (keyed, same) {
            (Some((id, true)), _) => {
                let current = crate::db::listings::find::<crate::domain::Achievement, _>(
                    &self.ctx.db.conn,
                    id,
                )
                .await?;
                match current {
                    Some(current) if current.owner_id == walk.owner => {
                        report.listing_id = Some(id);
                        match self.achievements.revised(&current, content) {
                            Ok(Some(next)) => {
                                report.action = RowAction::Update;
                                Some(Write::Update(Box::new(next)))
                            }
                            Ok(None) => {
                                report.action = RowAction::Unchanged;
                                None
                            }
                            Err(e) => {
                                report.errors.push(whole_row(e.to_string()));
                                None
                            }
                        }
                    }
                    _ => {
                        report.errors.push(whole_row(
                            "此成果编号对应的成果已不存在，请换一个编号或删去编号".into(),
                        ));
                        None
                    }
                }
            }
            (Some((id, false)), _) => {
                report.action = RowAction::Existing;
                report.listing_id = Some(id);
                None
            }
            (None, Some(id)) => {
                report.action = RowAction::Existing;
                report.listing_id = Some(id);
                parsed.key.as_ref().map(|_| Write::Link(id))
            }
            (None, None) => {
                report.action = RowAction::Create;
                walk.siblings
                    .push(-(row.number as i32), &parsed.input.title, &patents);
                Some(Write::Create(Box::new(content)))
            }
        };
        Ok((report, write))
    }

    /// Writes a batch (unless this is a dry run) and moves its rows into the report.
    async fn flush(
        &self,
        actor: &Actor,
        walk: &mut Walk,
        batch: &mut Vec<(RowReport, Option<Write>)>,
        report: &mut ImportReport,
        options: &ImportOptions,
        whole: Option<&DatabaseTransaction>,
    ) -> ServiceResult<()> {
        let pending = batch.iter().any(|(_, w)| w.is_some());
        // A file that will be rolled back anyway is only classified from here on.
        let doomed = options.mode == ImportMode::AllOrNothing
            && (report.rows.iter().chain(batch.iter().map(|(r, _)| r)))
                .any(|r| r.action == RowAction::Reject);
        if !options.dry_run && pending && !doomed {
            match whole {
                Some(txn) => self.write(txn, walk, batch, options).await?,
                None => {
                    let txn = self.ctx.db.begin_write().await?;
                    self.write(&txn, walk, batch, options).await?;
                    let target = Target::org(walk.owner);
                    self.ctx
                        .audit_ok(&txn, actor, "importAchievements", target)
                        .await?;
                    txn.commit().await?;
                }
            }
        }
        report.rows.extend(batch.drain(..).map(|(r, _)| r));
        Ok(())
    }

    async fn write(
        &self,
        txn: &DatabaseTransaction,
        walk: &mut Walk,
        batch: &mut [(RowReport, Option<Write>)],
        options: &ImportOptions,
    ) -> ServiceResult<()> {
        let now = self.ctx.clock.now();
        let wrote: Vec<usize> = (0..batch.len()).filter(|i| batch[*i].1.is_some()).collect();
        // New results in a few statements, matched back to their rows by title (a file's new
        // results never share a title: repeats are rejected).
        let mut created: Vec<(usize, String)> = Vec::new();
        let mut contents = Vec::new();
        for &i in &wrote {
            if let Some(Write::Create(content)) =
                batch[i].1.take_if(|w| matches!(w, Write::Create(_)))
            {
                created.push((i, content.title.clone()));
                contents.push(*content);
            }
        }
        if !contents.is_empty() {
            let saved = self
                .achievements
                .create_imported_many_in(txn, walk.owner, contents, options.publish)
                .await?;
            let ids: HashMap<&str, i32> = saved.iter().map(|a| (a.title.as_str(), a.id)).collect();
            for (i, title) in &created {
                let id = ids.get(title.as_str()).copied().ok_or_else(|| {
                    ServiceError::Internal(anyhow::anyhow!("imported row {i} lost its id"))
                })?;
                batch[*i].0.listing_id = Some(id);
            }
        }
        let mut links = Vec::new();
        for &i in &wrote {
            let (row, write) = &mut batch[i];
            match write.take() {
                Some(Write::Update(next)) => {
                    row.listing_id = Some(self.achievements.save_revised_in(txn, *next).await?.id);
                }
                Some(Write::Link(id)) => row.listing_id = Some(id),
                Some(Write::Create(_)) | None => {}
            }
            let (Some(key), Some(id)) = (&row.key, row.listing_id) else {
                continue;
            };
            let created = row.action != RowAction::Existing;
            links.push((format!("{}{key}", key_prefix(walk.owner)), id, created));
            walk.keys.insert(key.clone(), (id, created));
        }
        let links: Vec<NewLink> = links
            .iter()
            .map(|(external_id, id, created)| NewLink {
                kind: ListingKind::Achievement,
                listing_id: *id,
                source: ListingSource::Spreadsheet.as_str(),
                external_id,
                remote_updated_at: now,
                removed: false,
                link: if *created { "created" } else { "matched" },
                payload: "{}",
                unmapped: "[]".into(),
            })
            .collect();
        links::save_links(txn, links, now).await?;
        Ok(())
    }
}

/// Spreadsheet keys are per organisation: `"{owner}:{成果编号}"`.
pub fn key_prefix(owner_id: i32) -> String {
    format!("{owner_id}:")
}

fn row_error(e: &FieldError) -> RowError {
    RowError {
        column: header_of_input(&e.field.join(".")).to_owned(),
        code: e.code,
        message: e.message.clone(),
    }
}

fn whole_row(message: String) -> RowError {
    RowError {
        column: String::new(),
        code: ErrorCode::Conflict,
        message,
    }
}

fn invalid_file(message: String) -> ServiceError {
    ServiceError::coded(ErrorCode::InvalidFile, message)
}

/// The most rows one uploaded file may hold. Recognising a row as a result entered before
/// compares its title with the organisation's others, so time grows faster than the rows; at
/// this size a file takes seconds (`cargo bench --bench import` imports 50,000 in about 10 s
/// from the command line, which has no bound).
pub const MAX_UPLOADED_ROWS: u64 = 20_000;

fn too_many_rows() -> ServiceError {
    invalid_file(format!(
        "一次上传最多导入 {MAX_UPLOADED_ROWS} 行，请拆成几个文件；更大的文件可请运营人员用命令行 qianxian import 导入"
    ))
}
