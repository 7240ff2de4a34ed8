//! Reading spreadsheets a row at a time: CSV (UTF-8 with or without a BOM, or GB18030 as Excel
//! on a Chinese Windows saves it) and XLSX (the first worksheet, streamed cell by cell).
//!
//! [`spawn`] reads on a blocking thread and hands rows over a bounded channel, so memory
//! stays flat however long the file is, and parsing overlaps with whatever the caller does
//! with each row. Nothing here knows what the columns mean.

use std::io::{BufReader, Read, Seek};
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Where a spreadsheet comes from.
#[derive(Debug)]
pub enum SheetInput {
    /// A file on disk (the command line).
    Path(PathBuf),
    /// An upload held in memory.
    Bytes(Vec<u8>),
}

/// One non-empty row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The row's number as a spreadsheet program shows it (from 1).
    pub number: u32,
    /// Cell texts, trimmed; the row is cut after its last non-empty cell.
    pub cells: Vec<String>,
}

/// What the reader hands over.
#[derive(Debug)]
pub enum SheetEvent {
    /// The number of rows the file declares (an estimate for CSV), for a progress bar.
    Size(u64),
    /// The next non-empty row.
    Row(SheetRow),
}

/// Why a file could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// Neither CSV nor XLSX.
    #[error("无法识别的文件格式：请使用 .csv 或 .xlsx 文件（旧版 .xls 请先另存为 .xlsx）")]
    UnknownFormat,
    /// The file is damaged or not what its name says.
    #[error("文件无法读取：{0}")]
    Unreadable(String),
}

/// The two formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// Comma-separated values.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
}

impl SheetFormat {
    /// Decides by the file's first bytes (an XLSX is a zip), then by its name.
    pub fn detect(name: &str, head: &[u8]) -> Result<Self, SheetError> {
        let lower = name.to_ascii_lowercase();
        if head.starts_with(b"PK\x03\x04") {
            Ok(Self::Xlsx)
        } else if lower.ends_with(".xls") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Err(SheetError::UnknownFormat)
        } else if lower.ends_with(".xlsx") {
            Err(SheetError::Unreadable("不是有效的 .xlsx 工作簿".into()))
        } else {
            Ok(Self::Csv)
        }
    }
}

/// Reads `input` on a blocking thread; rows arrive on the returned channel, at most
/// `capacity` ahead of the consumer. The channel closes after the last row or the first error.
pub fn spawn(
    input: SheetInput,
    name: String,
    capacity: usize,
) -> mpsc::Receiver<Result<SheetEvent, SheetError>> {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    tokio::task::spawn_blocking(move || {
        let mut emit = |event| tx.blocking_send(Ok(event)).is_ok();
        if let Err(e) = read(input, &name, &mut emit) {
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

/// Counts the non-empty rows of `input` (the header too), stopping at `stop_after`.
pub fn count_rows(input: SheetInput, name: &str, stop_after: u64) -> Result<u64, SheetError> {
    let mut rows = 0u64;
    read(input, name, &mut |event| {
        if let SheetEvent::Row(_) = event {
            rows += 1;
        }
        rows < stop_after
    })?;
    Ok(rows)
}

/// Reads `input`, handing each event to `emit` until it returns false.
pub fn read(
    input: SheetInput,
    name: &str,
    emit: &mut dyn FnMut(SheetEvent) -> bool,
) -> Result<(), SheetError> {
    let unreadable = |e: std::io::Error| SheetError::Unreadable(e.to_string());
    match input {
        SheetInput::Bytes(bytes) => match SheetFormat::detect(name, &bytes)? {
            SheetFormat::Xlsx => read_xlsx(std::io::Cursor::new(bytes), emit),
            SheetFormat::Csv => read_csv_bytes(bytes, emit),
        },
        SheetInput::Path(path) => {
            let mut file = std::fs::File::open(&path).map_err(unreadable)?;
            let mut head = [0u8; 8];
            let n = file.read(&mut head).map_err(unreadable)?;
            file.rewind().map_err(unreadable)?;
            match SheetFormat::detect(name, &head[..n])? {
                SheetFormat::Xlsx => read_xlsx(BufReader::new(file), emit),
                SheetFormat::Csv => {
                    let mut probe = Vec::with_capacity(64 * 1024);
                    (&mut file)
                        .take(64 * 1024)
                        .read_to_end(&mut probe)
                        .map_err(unreadable)?;
                    file.rewind().map_err(unreadable)?;
                    if looks_utf8(&probe) {
                        let size = count_lines(BufReader::new(&file)).map_err(unreadable)?;
                        file.rewind().map_err(unreadable)?;
                        emit(SheetEvent::Size(size));
                        read_csv(BufReader::new(file), emit)
                    } else {
                        let mut bytes = Vec::new();
                        file.read_to_end(&mut bytes).map_err(unreadable)?;
                        read_csv_bytes(bytes, emit)
                    }
                }
            }
        }
    }
}

fn read_csv_bytes(
    bytes: Vec<u8>,
    emit: &mut dyn FnMut(SheetEvent) -> bool,
) -> Result<(), SheetError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let (text, _, bad) = encoding_rs::GB18030.decode(e.as_bytes());
            if bad {
                return Err(SheetError::Unreadable(
                    "文件编码既不是 UTF-8 也不是 GBK，请另存为 UTF-8 编码的 CSV".into(),
                ));
            }
            text.into_owned()
        }
    };
    emit(SheetEvent::Size(
        text.bytes().filter(|b| *b == b'\n').count() as u64,
    ));
    read_csv(text.as_bytes(), emit)
}

/// Valid UTF-8 except perhaps a character cut at the end of the probe.
fn looks_utf8(probe: &[u8]) -> bool {
    match std::str::from_utf8(probe) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn count_lines(mut r: impl Read) -> std::io::Result<u64> {
    let mut buf = [0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf)? {
            0 => return Ok(n),
            k => n += buf[..k].iter().filter(|b| **b == b'\n').count() as u64,
        }
    }
}

/// Remembers where each line ends as bytes pass through, so a record's end gives the line it
/// is on (the CSV reader skips blank lines without counting them).
struct LineEnds<R> {
    inner: R,
    read: u64,
    ends: std::rc::Rc<std::cell::RefCell<Vec<u64>>>,
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut ends = self.ends.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                ends.push(self.read + i as u64);
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

fn read_csv(r: impl Read, emit: &mut dyn FnMut(SheetEvent) -> bool) -> Result<(), SheetError> {
    let ends = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineEnds {
            inner: r,
            read: 0,
            ends: ends.clone(),
        });
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                // The record ends on the line of its last byte; it starts as many lines
                // earlier as its quoted cells hold line breaks.
                let end = reader.position().byte();
                let number = {
                    let ends = ends.borrow();
                    let mut before = ends.partition_point(|e| *e < end);
                    if end > 0 && ends.binary_search(&(end - 1)).is_ok() {
                        before -= 1;
                    }
                    let inside: usize = record.iter().map(|c| c.matches('\n').count()).sum();
                    (1 + before.saturating_sub(inside)) as u32
                };
                let cells = record
                    .iter()
                    .map(|c| c.trim_start_matches('\u{feff}').trim().to_owned())
                    .collect();
                if let Some(row) = row(number, cells)
                    && !emit(SheetEvent::Row(row))
                {
                    return Ok(());
                }
            }
            Err(e) => {
                let at = e.position().map_or(0, |p| p.line());
                return Err(SheetError::Unreadable(match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        format!("第 {at} 行含有无法识别的字符，请另存为 UTF-8 编码的 CSV")
                    }
                    _ => format!("第 {at} 行：{e}"),
                }));
            }
        }
    }
}

/// The most an XLSX file may unpack to. A sheet of 100 000 listings unpacks to a few tens of
/// MiB; a zip bomb of a few hundred bytes to gigabytes.
const MAX_XLSX_UNPACKED: u64 = 512 * 1024 * 1024;

/// The most shared strings a workbook may hold: calamine keeps them all in memory. A sheet of
/// 100 000 rows of 40 distinct texts stays below it.
const MAX_SHARED_STRINGS: u64 = 4_000_000;

/// Excel's last column is XFD, the 16 384th; a cell beyond it is a forged one (a row is held
/// as wide as its last cell).
const MAX_COLUMNS: usize = 16_384;

/// Refuses a workbook built to exhaust memory before calamine opens it:
/// - every part is unpacked (into nothing) and counted, whatever its header claims, up to
///   `max_unpacked` bytes in all;
/// - a shared-string table (found as calamine finds it: by name, in any case) may not
///   announce more strings than it holds, nor hold more than [`MAX_SHARED_STRINGS`]: calamine
///   makes room for the announced number up front, and a 300-byte file announcing 2^42
///   aborted the process.
///
/// A part that cannot be unpacked is left to calamine, which refuses it if it needs it.
fn check_xlsx<RS: Read + Seek>(rs: &mut RS, max_unpacked: u64) -> Result<(), SheetError> {
    let broken = |e: &dyn std::fmt::Display| SheetError::Unreadable(e.to_string());
    let mut zip = zip::ZipArchive::new(&mut *rs).map_err(|e| broken(&e))?;
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index(i) else {
            continue;
        };
        let name = part.name().replace('\\', "/").to_ascii_lowercase();
        let mut part = Counted {
            inner: part.take(max_unpacked - unpacked + 1),
            read: 0,
        };
        if name.ends_with("sharedstrings.xml") {
            check_shared_strings(&mut part)?;
        }
        // Whatever is left of the part, and all of any other part.
        let _ = std::io::copy(&mut part, &mut std::io::sink());
        unpacked += part.read;
        if unpacked > max_unpacked {
            return Err(SheetError::Unreadable(format!(
                "工作簿解压后超过 {} MiB，请拆成几个文件分别导入",
                max_unpacked / 1024 / 1024
            )));
        }
    }
    drop(zip);
    rs.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| broken(&e))?;
    Ok(())
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads a shared-string table through: the strings its `sst` element announces against the
/// `si` elements it holds.
fn check_shared_strings(part: &mut impl Read) -> Result<(), SheetError> {
    use quick_xml::events::Event;
    let damaged = || SheetError::Unreadable("共享字符串表已损坏".into());
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut announced: Option<u64> = None;
    let mut held = 0u64;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"sst" if announced.is_none() => announced = Some(announced_strings(&e[..])),
                b"si" => held += 1,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return Err(damaged()),
        }
        if held > MAX_SHARED_STRINGS {
            return Err(SheetError::Unreadable(format!(
                "工作簿的共享字符串超过 {MAX_SHARED_STRINGS} 个，请拆成几个文件分别导入"
            )));
        }
    }
    match announced {
        None => Err(damaged()),
        Some(n) if n > held => Err(SheetError::Unreadable(
            "共享字符串表声明的条目数超出其内容，文件已损坏".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// The largest number any `uniqueCount` attribute of a start tag announces, however it is
/// written (spaces around `=`, either quote, a prefix): read loosely, so that no spelling
/// calamine accepts escapes the check. 0 when there is none.
fn announced_strings(tag: &[u8]) -> u64 {
    const KEY: &[u8] = b"uniqueCount";
    let mut most = 0u64;
    let mut at = 0;
    while let Some(found) = tag[at..].windows(KEY.len()).position(|w| w == KEY) {
        at += found + KEY.len();
        let rest = &tag[at..];
        let value = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b'"' | b'\''));
        let digits: Vec<u8> = value.take_while(|b| b.is_ascii_digit()).copied().collect();
        if !digits.is_empty() {
            // More digits than a u64 holds is more than any table holds.
            let n = std::str::from_utf8(&digits)
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(u64::MAX);
            most = most.max(n);
        }
    }
    most
}

fn read_xlsx<RS: Read + Seek>(
    mut rs: RS,
    emit: &mut dyn FnMut(SheetEvent) -> bool,
) -> Result<(), SheetError> {
    use calamine::{Reader, Xlsx};
    check_xlsx(&mut rs, MAX_XLSX_UNPACKED)?;
    let bad = |e: calamine::XlsxError| SheetError::Unreadable(e.to_string());
    let mut workbook: Xlsx<RS> = calamine::open_workbook_from_rs(rs).map_err(bad)?;
    let sheet = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| SheetError::Unreadable("工作簿中没有工作表".into()))?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(bad)?;
    let dims = cells.dimensions();
    emit(SheetEvent::Size(u64::from(
        dims.end.0.saturating_sub(dims.start.0) + 1,
    )));
    let mut current: Option<u32> = None;
    let mut values: Vec<String> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(prev) = current
                && let Some(row) = row(prev + 1, std::mem::take(&mut values))
                && !emit(SheetEvent::Row(row))
            {
                return Ok(());
            }
            values.clear();
            current = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            return Err(SheetError::Unreadable(format!(
                "第 {} 行有超出 XFD 列（第 {MAX_COLUMNS} 列）的单元格",
                r + 1
            )));
        }
        if values.len() <= c {
            values.resize(c + 1, String::new());
        }
        values[c] = text_of(cell.get_value());
    }
    if let Some(prev) = current
        && let Some(row) = row(prev + 1, values)
    {
        emit(SheetEvent::Row(row));
    }
    Ok(())
}

/// A cell's text as a person reads it: whole numbers without `.0`.
fn text_of(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef::*;
    match value {
        String(s) | DateTimeIso(s) | DurationIso(s) => s.trim().to_owned(),
        SharedString(s) => s.trim().to_owned(),
        Int(i) => i.to_string(),
        Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Float(f) => f.to_string(),
        Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DateTime(d) => d.as_f64().to_string(),
        Error(e) => format!("#{e:?}"),
        Empty => std::string::String::new(),
    }
}

/// The row, unless every cell is empty; trailing empty cells dropped.
fn row(number: u32, mut cells: Vec<String>) -> Option<SheetRow> {
    while cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    (!cells.is_empty()).then_some(SheetRow { number, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(bytes: Vec<u8>, name: &str) -> Result<Vec<SheetRow>, SheetError> {
        let mut rows = Vec::new();
        read(SheetInput::Bytes(bytes), name, &mut |e| {
            if let SheetEvent::Row(r) = e {
                rows.push(r);
            }
            true
        })?;
        Ok(rows)
    }

    #[test]
    fn csv_with_bom_quotes_and_blank_lines() {
        let text = "\u{feff}成果名称,成果简介\n\n\"海水淡化, 膜\",\"多行\n简介\"\n,,\r\n末行,x";
        let rows = rows_of(text.as_bytes().to_vec(), "a.csv").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[2].number, rows[2].cells[0].as_str()), (6, "末行"));
        assert_eq!(rows[0].cells, vec!["成果名称", "成果简介"]);
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[1].cells, vec!["海水淡化, 膜", "多行\n简介"]);
        assert_eq!(rows[1].number, 3);
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("成果名称,技术成熟度\n海藻多糖,6\n");
        let rows = rows_of(bytes.into_owned(), "gbk.csv").unwrap();
        assert_eq!(rows[1].cells, vec!["海藻多糖", "6"]);
    }

    #[test]
    fn old_excel_and_broken_xlsx_are_refused() {
        assert_eq!(
            rows_of(vec![0xD0, 0xCF, 0x11, 0xE0, 0, 0], "old.xls"),
            Err(SheetError::UnknownFormat)
        );
        assert!(matches!(
            rows_of(b"PK\x03\x04garbage".to_vec(), "x.xlsx"),
            Err(SheetError::Unreadable(_))
        ));
    }

    /// A zip of `parts` (name, content), deflated.
    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

    /// A workbook of the package relationships and `part` holding `xml`.
    fn with_part(part: &str, xml: &str) -> Vec<u8> {
        zip_of(&[("_rels/.rels", RELS), (part, xml.as_bytes())])
    }

    #[test]
    fn a_shared_string_table_announcing_more_strings_than_it_holds_is_refused() {
        // calamine makes room for what `uniqueCount` announces before reading a string: 2^42
        // aborted the process. Each spelling calamine reads is caught: the plain one, a part
        // named in another case, a prefixed element, spaces around `=`, a decoy attribute
        // before the real one, and a tag past a long comment.
        let padding = format!("<!--{}-->", "x".repeat(8192));
        for (part, xml) in [
            ("xl/sharedStrings.xml", r#"<sst xmlns="x" count="1" uniqueCount="4398046511104"><si><t>a</t></si></sst>"#.to_owned()),
            ("xl/SHAREDSTRINGS.XML", r#"<sst uniqueCount="4398046511104"><si><t>a</t></si></sst>"#.to_owned()),
            ("xl/sharedStrings.xml", r#"<x:sst xmlns:x="x" uniqueCount="4398046511104"><x:si><x:t>a</x:t></x:si></x:sst>"#.to_owned()),
            ("xl/sharedStrings.xml", r#"<sst uniqueCount = '4398046511104'><si><t>a</t></si></sst>"#.to_owned()),
            ("xl/sharedStrings.xml", r#"<sst a-uniqueCount="1" uniqueCount="4398046511104"><si><t>a</t></si></sst>"#.to_owned()),
            ("xl/sharedStrings.xml", format!(r#"<?xml version="1.0"?>{padding}<sst uniqueCount="4398046511104"><si><t>a</t></si></sst>"#)),
            ("xl/sharedStrings.xml", r#"<sst uniqueCount="99999999999999999999999"><si><t>a</t></si></sst>"#.to_owned()),
        ] {
            let Err(SheetError::Unreadable(why)) = rows_of(with_part(part, &xml), "bomb.xlsx") else {
                panic!("the bomb was read: {part} {xml:.80}");
            };
            assert!(why.contains("共享字符串表"), "{why}: {part} {xml:.80}");
        }

        let honest = with_part(
            "xl/sharedStrings.xml",
            r#"<sst xmlns="x" count="5" uniqueCount="2"><si><t>a</t></si><si/></sst>"#,
        );
        let mut rs = std::io::Cursor::new(honest);
        assert_eq!(check_xlsx(&mut rs, MAX_XLSX_UNPACKED), Ok(()));
        assert_eq!(rs.position(), 0, "the reader is rewound for calamine");
        let unannounced = with_part("xl/sharedStrings.xml", r#"<sst><si><t>a</t></si></sst>"#);
        assert_eq!(
            check_xlsx(&mut std::io::Cursor::new(unannounced), MAX_XLSX_UNPACKED),
            Ok(())
        );
    }

    #[test]
    fn a_cell_beyond_the_last_column_is_refused() {
        // `ZZZZZZ1` is column 321 272 406: holding the row that wide took gigabytes.
        let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="ZZZZZZ1" t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>"#;
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "a").unwrap();
        let real = book.save_to_buffer().unwrap();
        // The same workbook with its sheet replaced by the forged one.
        let mut from = zip::ZipArchive::new(std::io::Cursor::new(real)).unwrap();
        let mut parts = Vec::new();
        for i in 0..from.len() {
            let mut part = from.by_index(i).unwrap();
            let mut content = Vec::new();
            part.read_to_end(&mut content).unwrap();
            if part.name() == "xl/worksheets/sheet1.xml" {
                content = sheet.as_bytes().to_vec();
            }
            parts.push((part.name().to_owned(), content));
        }
        let parts: Vec<(&str, &[u8])> = parts
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        let Err(SheetError::Unreadable(why)) = rows_of(zip_of(&parts), "wide.xlsx") else {
            panic!("the forged cell was read");
        };
        assert!(why.contains("XFD"), "{why}");
    }

    #[test]
    fn a_workbook_that_unpacks_past_the_limit_is_refused_by_what_it_holds() {
        let zeros = vec![0u8; 300 * 1024];
        let file = zip_of(&[
            ("xl/worksheets/sheet1.xml", &zeros),
            ("xl/media/a.bin", &zeros),
        ]);
        assert!(file.len() < 4096, "deflated to {} bytes", file.len());
        let mut rs = std::io::Cursor::new(file);
        assert_eq!(check_xlsx(&mut rs, 700 * 1024), Ok(()));
        let Err(SheetError::Unreadable(why)) = check_xlsx(&mut rs, 500 * 1024) else {
            panic!("600 KiB unpacked passed a 500 KiB limit");
        };
        assert!(why.contains("拆成几个文件"), "{why}");
    }
}
