//! Spreadsheet import over GraphQL: the template's columns, and `importAchievements` taking
//! a CSV or XLSX upload (GraphQL multipart request) with a row-by-row report.

use crate::error::ErrorCode;
use crate::graphql::errors::ResultExt;
use crate::graphql::ids::{IdCodec, NodeType, encode};
use crate::graphql::types::connection::{Parts, connection, edge, forward};
use crate::service::markets::import::{
    ImportMode, ImportOptions, ImportReport, RowAction, RowReport,
};
use crate::service::markets::import_columns::{COLUMNS, ImportField};
use crate::service::{Actor, Services};
use crate::sheet::SheetInput;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Upload};

/// One column of the import template.
#[derive(SimpleObject)]
pub struct ImportColumn {
    /// The column.
    pub field: ImportField,
    /// Its header in the template.
    pub header: &'static str,
    /// Other headers recognised as this column.
    pub aliases: Vec<&'static str>,
    /// Every row must fill it.
    pub required: bool,
    /// How to fill it.
    pub help: &'static str,
    /// An example value.
    pub example: &'static str,
}

/// Import queries.
#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// The columns of the achievement import template, in template order (see
    /// `docs/import.md`).
    async fn import_template(&self) -> Vec<ImportColumn> {
        COLUMNS
            .iter()
            .map(|c| ImportColumn {
                field: c.field,
                header: c.header,
                aliases: c.aliases.to_vec(),
                required: c.required,
                help: c.help,
                example: c.example,
            })
            .collect()
    }
}

/// Maps a file's header onto a template column.
#[derive(InputObject)]
pub struct ColumnMappingInput {
    /// The header as it is in the file.
    pub column: String,
    /// The template column it holds.
    pub field: ImportField,
}

/// How to import a file.
#[derive(InputObject, Default)]
pub struct ImportOptionsInput {
    /// Report what would happen; write nothing.
    #[graphql(default)]
    pub dry_run: bool,
    /// All or nothing (default), or row by row.
    #[graphql(default)]
    pub mode: ImportMode,
    /// Publish new results at once (the organisation must be verified); otherwise drafts.
    #[graphql(default)]
    pub publish: bool,
    /// Headers the template does not know.
    #[graphql(default)]
    pub mapping: Vec<ColumnMappingInput>,
}

/// A problem with one cell or row.
#[derive(SimpleObject)]
pub struct ImportRowError {
    /// The template header of the column; empty for the row as a whole.
    pub column: String,
    /// Stable code.
    pub code: ErrorCode,
    /// Message in Chinese.
    pub message: String,
}

/// One row of the file.
pub struct ImportRow(RowReport);

edge!(ImportRowEdge, ImportRow, "row of an import");
connection!(
    ImportRowConnection,
    ImportRowEdge,
    "an import's rows, in file order"
);

/// Rows on a page of a report when the caller does not say.
const DEFAULT_ROWS: u64 = 1_000;
/// Most rows on one page of a report.
const MAX_ROWS: u64 = 10_000;

#[Object]
impl ImportRow {
    /// Row number as the spreadsheet shows it.
    async fn row(&self) -> u32 {
        self.0.row
    }
    /// 成果编号, if given.
    async fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }
    /// The title as given.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the row did (or would do).
    async fn action(&self) -> RowAction {
        self.0.action
    }
    /// The result it created, changed or was recognised as.
    async fn achievement_id(&self) -> Option<crate::graphql::ids::GlobalId> {
        self.0
            .listing_id
            .map(|id| encode(NodeType::Achievement, id))
    }
    /// Why it was rejected.
    async fn errors(&self) -> Vec<ImportRowError> {
        self.0
            .errors
            .iter()
            .map(|e| ImportRowError {
                column: e.column.clone(),
                code: e.code,
                message: e.message.clone(),
            })
            .collect()
    }
}

/// The outcome of an import.
pub struct ImportReportObject(ImportReport);

#[Object(name = "ImportReport")]
impl ImportReportObject {
    /// Nothing was meant to be written.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }
    /// The mode.
    async fn mode(&self) -> ImportMode {
        self.0.mode
    }
    /// Something was written: false for a dry run, and for ALL_OR_NOTHING with a rejected row.
    async fn applied(&self) -> bool {
        self.0.applied
    }
    /// Data rows read.
    async fn total(&self) -> usize {
        self.0.rows.len()
    }
    /// Rows that create a result.
    async fn created(&self) -> usize {
        self.0.count(RowAction::Create)
    }
    /// Rows that change a result imported before.
    async fn updated(&self) -> usize {
        self.0.count(RowAction::Update)
    }
    /// Rows identical to what was imported before.
    async fn unchanged(&self) -> usize {
        self.0.count(RowAction::Unchanged)
    }
    /// Rows recognised as results the organisation already has.
    async fn existing(&self) -> usize {
        self.0.count(RowAction::Existing)
    }
    /// Rows rejected.
    async fn rejected(&self) -> usize {
        self.0.count(RowAction::Reject)
    }
    /// Headers that map to no column (not imported).
    async fn ignored_columns(&self) -> &[String] {
        &self.0.ignored_columns
    }
    /// The rows, in file order; `rejectedOnly` for the ones to fix. Pages of up to 10,000.
    #[graphql(
        complexity = "crate::graphql::limits::in_memory_list_cost(first, 1000, 10_000, child_complexity)"
    )]
    async fn rows(
        &self,
        #[graphql(default)] rejected_only: bool,
        #[graphql(default = 1000)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ImportRowConnection> {
        let rows: Vec<&RowReport> = self
            .0
            .rows
            .iter()
            .filter(|r| !rejected_only || r.action == RowAction::Reject)
            .collect();
        // The report is in memory, bounded by the upload limit: cut the page out of it here.
        let page = forward(first, after)?
            .slice(rows, DEFAULT_ROWS, MAX_ROWS)
            .gql()?;
        Ok(ImportRowConnection::new(Parts::of_nodes(page, |r| {
            ImportRow(r.clone())
        })))
    }
}

/// Import mutations.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a CSV or XLSX list of research results as listings of an organisation
    /// (members of it, and operators). Send the file as a GraphQL multipart request. A file
    /// that cannot be read or lacks required columns fails with `INVALID_FILE`; row problems
    /// are in the report.
    async fn import_achievements(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        file: Upload,
        #[graphql(default)] options: ImportOptionsInput,
    ) -> Result<ImportReportObject> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let org = IdCodec::of(ctx)
            .decode(&organization_id, NodeType::Organization)
            .gql()?;
        let upload = file.value(ctx)?;
        let options = ImportOptions {
            dry_run: options.dry_run,
            mode: options.mode,
            publish: options.publish,
            mapping: options
                .mapping
                .into_iter()
                .map(|m| (m.column, m.field))
                .collect(),
        };
        let report = services
            .imports
            .import(
                actor,
                org,
                SheetInput::Bytes(upload.content.to_vec()),
                &upload.filename,
                &options,
                |_, _| {},
            )
            .await
            .gql()?;
        Ok(ImportReportObject(report))
    }
}
