//! The achievement import template: its columns (Chinese headers and the other names transfer
//! offices use for them), how a file's header row maps onto them, and how one row becomes an
//! [`AchievementInput`]. Pure functions; `docs/import.md` documents the same table.

use crate::domain::{MaturityStage, PriorityTrack, TransferMode};
use crate::error::{ErrorCode, FieldError};
use crate::service::listings::inputs::{AchievementInput, IpInput, PriceInput};

/// A column of the template.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportField {
    /// 成果编号: the office's own id; importing the same id again updates the result.
    ExternalId,
    /// 成果名称.
    Title,
    /// 成果简介.
    Summary,
    /// 关键词.
    Keywords,
    /// 应用领域.
    ApplicationFields,
    /// 技术优势.
    Advantages,
    /// 对受让方的要求.
    Requirements,
    /// 学科代码 (GB/T 13745).
    Discipline,
    /// 行业代码 (GB/T 4754).
    Industries,
    /// 技术成熟度 (TRL 1–9).
    Trl,
    /// 成熟阶段.
    Maturity,
    /// 转化方式.
    TransferModes,
    /// 意向价格（万元）.
    Price,
    /// 负责人.
    TeamLead,
    /// 发明人.
    Inventors,
    /// 成果登记号.
    RegistrationNumber,
    /// 重点产业赛道.
    Tracks,
    /// 专利号.
    Patents,
    /// 保密内容: shown only to those granted disclosure.
    ConfidentialDetail,
}

/// One column of the template.
#[derive(Debug)]
pub struct Column {
    /// What it holds.
    pub field: ImportField,
    /// The template's header.
    pub header: &'static str,
    /// Other headers recognised as this column.
    pub aliases: &'static [&'static str],
    /// A row must fill it.
    pub required: bool,
    /// How to fill it.
    pub help: &'static str,
    /// An example value.
    pub example: &'static str,
    /// The input field its validation errors name.
    input_field: &'static str,
}

use ImportField as F;

/// The template, in the order of the template file.
pub const COLUMNS: &[Column] = &[
    Column {
        field: F::ExternalId,
        header: "成果编号",
        aliases: &["编号", "成果代码", "内部编号"],
        required: false,
        help: "本单位的成果编号，最多 64 个字符；再次导入同一编号会更新该成果",
        example: "QDU-2026-001",
        input_field: "externalId",
    },
    Column {
        field: F::Title,
        header: "成果名称",
        aliases: &["成果名", "项目名称", "名称", "标题"],
        required: true,
        help: "4–100 个字",
        example: "海藻酸盐纤维医用敷料制备技术",
        input_field: "title",
    },
    Column {
        field: F::Summary,
        header: "成果简介",
        aliases: &["简介", "成果介绍", "项目简介", "摘要", "内容简介"],
        required: true,
        help: "公开的成果介绍，10–5000 个字",
        example: "以褐藻提取的海藻酸钠为原料，经湿法纺丝制得高吸液性纤维，用于慢性伤口敷料……",
        input_field: "summary",
    },
    Column {
        field: F::Keywords,
        header: "关键词",
        aliases: &["关键字"],
        required: false,
        help: "最多 10 个，用顿号、逗号或分号分隔",
        example: "海藻酸盐；医用敷料；湿法纺丝",
        input_field: "keywords",
    },
    Column {
        field: F::ApplicationFields,
        header: "应用领域",
        aliases: &["应用范围", "适用领域"],
        required: false,
        help: "最多 2000 个字",
        example: "慢性伤口护理、烧伤科",
        input_field: "applicationFields",
    },
    Column {
        field: F::Advantages,
        header: "技术优势",
        aliases: &["创新点", "技术特点", "技术优势与创新点"],
        required: false,
        help: "最多 5000 个字",
        example: "吸液率为传统纱布的 10 倍以上",
        input_field: "advantages",
    },
    Column {
        field: F::Requirements,
        header: "对受让方的要求",
        aliases: &["对受让方要求", "受让方要求", "合作要求"],
        required: false,
        help: "最多 2000 个字",
        example: "具备医疗器械生产资质",
        input_field: "requirements",
    },
    Column {
        field: F::Discipline,
        header: "学科代码",
        aliases: &["学科", "学科分类", "所属学科"],
        required: true,
        help: "GB/T 13745-2009 学科代码，可带名称，如“530 化学工程”",
        example: "530",
        input_field: "discipline",
    },
    Column {
        field: F::Industries,
        header: "行业代码",
        aliases: &["所属行业", "行业", "行业分类"],
        required: true,
        help: "GB/T 4754-2017 行业代码，1–5 个，用分号分隔，可带名称",
        example: "C2770；C2821",
        input_field: "industries",
    },
    Column {
        field: F::Trl,
        header: "技术成熟度",
        aliases: &["TRL", "技术就绪度", "成熟度等级", "技术成熟度等级"],
        required: true,
        help: "1–9 的整数（TRL）",
        example: "6",
        input_field: "trl",
    },
    Column {
        field: F::Maturity,
        header: "成熟阶段",
        aliases: &["成果阶段", "所处阶段", "成果所处阶段"],
        required: false,
        help: "研发中、已有样品、通过小试、通过中试或可量产；空着则按技术成熟度推定",
        example: "通过中试",
        input_field: "maturity",
    },
    Column {
        field: F::TransferModes,
        header: "转化方式",
        aliases: &["合作方式", "转让方式", "交易方式"],
        required: true,
        help: "转让、独占许可、排他许可、普通许可、作价投资、合作开发、技术服务，可填多个",
        example: "转让；普通许可",
        input_field: "transferModes",
    },
    Column {
        field: F::Price,
        header: "意向价格（万元）",
        aliases: &["价格（万元）", "转让价格（万元）", "意向价格", "价格"],
        required: false,
        help: "万元，如 50 或 50-100；空着或“面议”表示面议",
        example: "80-120",
        input_field: "price",
    },
    Column {
        field: F::TeamLead,
        header: "负责人",
        aliases: &["成果负责人", "项目负责人", "团队负责人"],
        required: false,
        help: "最多 50 个字",
        example: "王海",
        input_field: "teamLead",
    },
    Column {
        field: F::Inventors,
        header: "发明人",
        aliases: &["完成人", "团队成员", "主要完成人"],
        required: false,
        help: "最多 30 人，用顿号或分号分隔",
        example: "王海、李青",
        input_field: "inventors",
    },
    Column {
        field: F::RegistrationNumber,
        header: "成果登记号",
        aliases: &["登记号", "科技成果登记号"],
        required: false,
        help: "12 位科技成果登记号",
        example: "",
        input_field: "registrationNumber",
    },
    Column {
        field: F::Tracks,
        header: "重点产业赛道",
        aliases: &["产业赛道", "赛道"],
        required: false,
        help: "赛道名称或代码，用分号分隔",
        example: "",
        input_field: "tracks",
    },
    Column {
        field: F::Patents,
        header: "专利号",
        aliases: &["专利", "相关专利", "专利申请号"],
        required: false,
        help: "中国专利号，用分号分隔；以 ZL 开头视为已授权",
        example: "ZL202310123456.6",
        input_field: "ip",
    },
    Column {
        field: F::ConfidentialDetail,
        header: "保密内容",
        aliases: &["保密信息", "详细技术资料"],
        required: false,
        help: "只向经授权的对接方展示",
        example: "",
        input_field: "confidentialDetail",
    },
];

/// The column of a field.
pub fn column(field: ImportField) -> &'static Column {
    COLUMNS
        .iter()
        .find(|c| c.field == field)
        .expect("every field has a column")
}

/// The column a person names by its header, an alias or its GraphQL name (`TITLE`).
pub fn field_named(name: &str) -> Option<ImportField> {
    let key = header_key(name);
    COLUMNS
        .iter()
        .find(|c| {
            header_key(c.header) == key
                || c.aliases.iter().any(|a| header_key(a) == key)
                || format!("{:?}", c.field).eq_ignore_ascii_case(&key.replace('_', ""))
        })
        .map(|c| c.field)
}

/// The header to name in an error about an input field (`industries.1` → 行业代码).
pub fn header_of_input(field: &str) -> &'static str {
    let root = field.split('.').next().unwrap_or_default();
    COLUMNS
        .iter()
        .find(|c| c.input_field == root)
        .map_or("", |c| c.header)
}

/// Where each template column is in one file.
#[derive(Debug, Clone)]
pub struct Layout {
    positions: Vec<(ImportField, usize)>,
    /// Headers that map to no column; their cells are not imported.
    pub ignored: Vec<String>,
}

/// Compares headers the way people write them: without spaces, asterisks, `(必填)` notes,
/// and with full-width brackets the same as half-width ones.
fn header_key(h: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let h: String = h
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .collect();
    h.replace("(必填)", "").replace("(选填)", "").to_lowercase()
}

impl Layout {
    /// Maps a header row; `mapping` names the column for headers the template does not know
    /// (it wins over the built-in names).
    pub fn from_headers(
        headers: &[String],
        mapping: &[(String, ImportField)],
    ) -> Result<Self, String> {
        let mut positions: Vec<(ImportField, usize)> = Vec::new();
        let mut ignored = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if h.trim().is_empty() {
                continue;
            }
            let key = header_key(h);
            let field = mapping
                .iter()
                .find(|(name, _)| header_key(name) == key)
                .map(|(_, f)| *f)
                .or_else(|| {
                    COLUMNS
                        .iter()
                        .find(|c| {
                            header_key(c.header) == key
                                || c.aliases.iter().any(|a| header_key(a) == key)
                        })
                        .map(|c| c.field)
                });
            match field {
                Some(f) => {
                    if let Some((_, j)) = positions.iter().find(|(g, _)| *g == f) {
                        return Err(format!(
                            "“{}”和“{}”两列都对应“{}”，请删去一列或用列映射指明",
                            headers[*j],
                            h,
                            column(f).header
                        ));
                    }
                    positions.push((f, i));
                }
                None => ignored.push(h.clone()),
            }
        }
        for (name, _) in mapping {
            if !headers.iter().any(|h| header_key(h) == header_key(name)) {
                return Err(format!("列映射中的“{name}”在表头中不存在"));
            }
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| c.required && !positions.iter().any(|(f, _)| *f == c.field))
            .map(|c| c.header)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "缺少必填列：{}（第一行应为表头；表头名称不同时请用列映射指明）",
                missing.join("、")
            ));
        }
        Ok(Self { positions, ignored })
    }

    /// The cell of `field` in `row` ("" when the column is absent or the row is short).
    pub fn cell<'r>(&self, row: &'r [String], field: ImportField) -> &'r str {
        self.positions
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, i)| row.get(*i))
            .map_or("", |s| s.trim())
    }
}

/// One row read into an input; `errors` are cells that could not be read at all (validation
/// of the input adds the rest).
#[derive(Debug)]
pub struct ParsedRow {
    /// 成果编号, if given.
    pub key: Option<String>,
    /// The fields.
    pub input: AchievementInput,
    /// Unreadable cells.
    pub errors: Vec<FieldError>,
}

/// Splits a list cell on the separators people use (、，,；; and line breaks).
fn list(cell: &str) -> Vec<String> {
    cell.split(['、', '，', ',', '；', ';', '\n', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A code written alone or followed by its name (`530 化学工程`, `C2770 卫生材料…`); a name
/// alone is looked up in the table.
fn code(cell: &str, table: &crate::codes::CodeTable) -> String {
    let first = cell.split_whitespace().next().unwrap_or_default();
    let upper = first.to_ascii_uppercase();
    if table.contains(&upper) {
        return upper;
    }
    table
        .entries()
        .iter()
        .find(|e| e.name == cell.trim())
        .map_or(upper, |e| e.code.clone())
}

fn trl(cell: &str) -> Option<i32> {
    let digits: String = cell
        .trim()
        .trim_start_matches(['T', 'R', 'L', 't', 'r', 'l'])
        .trim()
        .trim_end_matches('级')
        .trim_end_matches(".0")
        .to_owned();
    digits.parse::<i32>().ok()
}

fn maturity(cell: &str) -> Option<MaturityStage> {
    let w = cell.trim();
    MaturityStage::ALL
        .iter()
        .copied()
        .find(|m| m.label_zh() == w || m.as_str().eq_ignore_ascii_case(w))
        .or_else(|| {
            Some(match w {
                "研发阶段" | "实验室阶段" | "研究阶段" => MaturityStage::InResearch,
                "样品" | "样机" | "样品阶段" => MaturityStage::Prototype,
                "小试" | "小试阶段" => MaturityStage::LabScale,
                "中试" | "中试阶段" => MaturityStage::PilotScale,
                "量产" | "产业化" | "产业化阶段" | "批量生产" => {
                    MaturityStage::MassProduction
                }
                _ => return None,
            })
        })
}

fn mode(word: &str) -> Option<TransferMode> {
    TransferMode::ALL
        .iter()
        .copied()
        .find(|m| m.label_zh() == word || m.as_str().eq_ignore_ascii_case(word))
        .or_else(|| crate::connectors::mode_of(word))
}

/// `50`, `50-100`, `50~100`, `50至100`, with or without 万元; empty or 面议 is negotiable.
fn price(cell: &str) -> Result<Option<PriceInput>, ()> {
    let c = cell
        .trim()
        .trim_end_matches("万元")
        .trim_end_matches('万')
        .trim();
    if c.is_empty() || c == "面议" {
        return Ok(None);
    }
    let yuan = |s: &str| -> Result<i64, ()> {
        let wan: f64 = s.trim().parse().map_err(|_| ())?;
        if !wan.is_finite() || wan < 0.0 {
            return Err(());
        }
        Ok((wan * 10_000.0).round() as i64)
    };
    match c.split_once(['-', '~', '～', '至', '—']) {
        Some((lo, hi)) => Ok(Some(PriceInput {
            min: Some(yuan(lo)?),
            max: Some(yuan(hi)?),
        })),
        None => {
            let v = yuan(c)?;
            Ok(Some(PriceInput {
                min: Some(v),
                max: Some(v),
            }))
        }
    }
}

fn cell_error(field: ImportField, code: ErrorCode, message: String) -> FieldError {
    FieldError::new(column(field).input_field, code, message)
}

/// Reads one row.
pub fn parse_row(layout: &Layout, row: &[String], tracks: &[PriorityTrack]) -> ParsedRow {
    let cell = |f| layout.cell(row, f);
    let mut errors = Vec::new();
    let key = Some(cell(F::ExternalId).to_owned()).filter(|k| !k.is_empty());
    if key.as_ref().is_some_and(|k| k.chars().count() > 64) {
        errors.push(cell_error(
            F::ExternalId,
            ErrorCode::InvalidText,
            "成果编号最多 64 个字符".into(),
        ));
    }
    let trl_value = match cell(F::Trl) {
        "" => {
            errors.push(cell_error(
                F::Trl,
                ErrorCode::InvalidTrl,
                "技术成熟度必填（1–9）".into(),
            ));
            1
        }
        raw => trl(raw).unwrap_or_else(|| {
            errors.push(cell_error(
                F::Trl,
                ErrorCode::InvalidTrl,
                format!("技术成熟度应为 1–9 的整数，读到“{raw}”"),
            ));
            1
        }),
    };
    let maturity_value = match cell(F::Maturity) {
        "" => MaturityStage::typical_at(trl_value),
        raw => maturity(raw).unwrap_or_else(|| {
            errors.push(cell_error(
                F::Maturity,
                ErrorCode::InvalidArgument,
                format!(
                    "无法识别的成熟阶段“{raw}”，可填：研发中、已有样品、通过小试、通过中试、可量产"
                ),
            ));
            MaturityStage::typical_at(trl_value)
        }),
    };
    let mut modes = Vec::new();
    for word in list(cell(F::TransferModes)) {
        match mode(&word) {
            Some(m) => modes.push(m),
            None => errors.push(cell_error(
                F::TransferModes,
                ErrorCode::InvalidArgument,
                format!("无法识别的转化方式“{word}”，可填：转让、独占许可、排他许可、普通许可、作价投资、合作开发、技术服务"),
            )),
        }
    }
    let price_value = price(cell(F::Price)).unwrap_or_else(|()| {
        errors.push(cell_error(
            F::Price,
            ErrorCode::InvalidPriceRange,
            format!(
                "意向价格应为万元数，如 50 或 50-100，或填“面议”，读到“{}”",
                cell(F::Price)
            ),
        ));
        None
    });
    let mut ip = Vec::new();
    for (i, raw) in list(cell(F::Patents)).iter().enumerate() {
        match IpInput::patent(raw, &format!("ip.{i}")) {
            Ok(p) => ip.push(p),
            Err(e) => errors.push(e),
        }
    }
    let track_codes = list(cell(F::Tracks))
        .into_iter()
        .map(|t| {
            tracks
                .iter()
                .find(|k| k.name == t || k.code == t)
                .map_or(t, |k| k.code.clone())
        })
        .collect();
    let input = AchievementInput {
        title: cell(F::Title).to_owned(),
        summary: cell(F::Summary).to_owned(),
        confidential_detail: Some(cell(F::ConfidentialDetail).to_owned()).filter(|s| !s.is_empty()),
        keywords: list(cell(F::Keywords)),
        application_fields: cell(F::ApplicationFields).to_owned(),
        advantages: cell(F::Advantages).to_owned(),
        requirements: cell(F::Requirements).to_owned(),
        discipline: code(cell(F::Discipline), crate::codes::disciplines()),
        industries: list(cell(F::Industries))
            .iter()
            .map(|c| code(c, crate::codes::industries()))
            .collect(),
        trl: trl_value,
        maturity: maturity_value,
        transfer_modes: modes,
        price: price_value,
        team_lead: cell(F::TeamLead).to_owned(),
        inventors: list(cell(F::Inventors)),
        registration_number: Some(cell(F::RegistrationNumber).to_owned()).filter(|s| !s.is_empty()),
        tracks: track_codes,
        ip,
    };
    ParsedRow { key, input, errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_match_by_name_alias_and_mapping() {
        let headers = strings(&[
            "项目名称",
            " 成果简介* ",
            "学科代码",
            "行业代码",
            "TRL",
            "合作方式",
            "备注",
        ]);
        let layout = Layout::from_headers(&headers, &[]).unwrap();
        assert_eq!(layout.ignored, vec!["备注"]);
        let row = strings(&["海藻酸盐敷料", "简介", "530", "C2770", "6", "转让"]);
        assert_eq!(layout.cell(&row, F::Title), "海藻酸盐敷料");
        assert_eq!(layout.cell(&row, F::Trl), "6");
        assert_eq!(layout.cell(&row, F::Price), "");

        let odd = strings(&[
            "成果",
            "介绍",
            "学科代码",
            "行业代码",
            "技术成熟度",
            "转化方式",
        ]);
        let err = Layout::from_headers(&odd, &[]).unwrap_err();
        assert!(err.contains("成果名称、成果简介"), "{err}");
        let mapped = Layout::from_headers(
            &odd,
            &[("成果".into(), F::Title), ("介绍".into(), F::Summary)],
        )
        .unwrap();
        assert_eq!(mapped.cell(&strings(&["甲", "乙"]), F::Summary), "乙");
        assert!(Layout::from_headers(&odd, &[("没有".into(), F::Title)]).is_err());

        let twice = strings(&[
            "成果名称",
            "项目名称",
            "成果简介",
            "学科代码",
            "行业代码",
            "技术成熟度",
            "转化方式",
        ]);
        assert!(
            Layout::from_headers(&twice, &[])
                .unwrap_err()
                .contains("两列")
        );
    }

    #[test]
    fn cells_are_read_as_people_write_them() {
        let headers: Vec<String> = COLUMNS.iter().map(|c| c.header.to_owned()).collect();
        let layout = Layout::from_headers(&headers, &[]).unwrap();
        let mut row: Vec<String> = vec![String::new(); COLUMNS.len()];
        fn set(row: &mut [String], f: ImportField, v: &str) {
            let i = COLUMNS.iter().position(|c| c.field == f).unwrap();
            row[i] = v.to_owned();
        }
        set(&mut row, F::Title, "海藻酸盐纤维医用敷料");
        set(&mut row, F::Discipline, "530 化学工程");
        set(
            &mut row,
            F::Industries,
            "c2770 卫生材料及医药用品制造；C2821",
        );
        set(&mut row, F::Trl, "TRL 6级");
        set(&mut row, F::TransferModes, "技术转让、普通许可");
        set(&mut row, F::Price, "80~120万元");
        set(&mut row, F::Keywords, "海藻酸盐，敷料;纺丝");
        set(&mut row, F::Patents, "ZL202310123456.6");
        let parsed = parse_row(&layout, &row, &[]);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let i = parsed.input;
        assert_eq!(i.discipline, "530");
        assert_eq!(i.industries, vec!["C2770", "C2821"]);
        assert_eq!(i.trl, 6);
        assert_eq!(i.maturity, MaturityStage::PilotScale);
        assert_eq!(
            i.transfer_modes,
            vec![TransferMode::Assignment, TransferMode::LicenseNonExclusive]
        );
        assert_eq!(
            i.price,
            Some(PriceInput {
                min: Some(800_000),
                max: Some(1_200_000)
            })
        );
        assert_eq!(i.keywords, vec!["海藻酸盐", "敷料", "纺丝"]);
        assert_eq!(i.ip.len(), 1);

        set(&mut row, F::Trl, "高");
        set(&mut row, F::TransferModes, "拍卖");
        set(&mut row, F::Price, "很贵");
        let parsed = parse_row(&layout, &row, &[]);
        let fields: Vec<&str> = parsed
            .errors
            .iter()
            .map(|e| header_of_input(&e.field.join(".")))
            .collect();
        assert_eq!(fields, vec!["技术成熟度", "转化方式", "意向价格（万元）"]);
    }
}
