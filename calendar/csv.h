// CSV (RFC 4180) text: the one reader and the one writer of the organiser's spreadsheets (members
// imported from a file, attendance and registers exported to one).
//
// The reader is byte-level and never fails as a whole: each record carries the line it started
// on and, when it is malformed, what is wrong, so a caller can report every bad row at once. It
// takes what spreadsheets write: a UTF-8 byte order mark (dropped), CRLF, LF or CR line ends,
// quoted cells holding commas, doubled quotes and line breaks. Whether the cells are valid UTF-8
// is the caller's check (calendar/rules.h CleanText).
//
// The writer writes what Excel, LibreOffice and Numbers open as UTF-8: a byte order mark, CRLF
// line ends, and a cell quoted only when it must be. It guards against CSV injection: a cell that
// starts with = + - @ (or a tab or carriage return) would run as a formula in a spreadsheet, so
// it is written with a leading apostrophe, which spreadsheets show as text.
//
// Pure functions on values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace convene::calendar {

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

struct CsvRecord {
  int line = 0;  // the line of the file the record starts on (the first line is 1)
  std::vector<std::string> cells;
  // Empty, or what is malformed (a quote never closed, text after a closing quote);
  // `error_cell` is the index of the cell it is in. The record's cells are kept.
  std::string error;
  size_t error_cell = 0;
};

// Every record of `text`, in order. Empty lines are skipped (not records); a line of separators
// only (",,,") is a record of empty cells. A record with an unclosed quote runs to the end of
// the text and carries the error.
std::vector<CsvRecord> ReadCsv(std::string_view text);

// One cell as written: quoted when it holds a comma, a quote, CR or LF, or starts or ends with a
// space; prefixed with ' when it starts with = + - @, TAB or CR (the injection guard).
std::string CsvCell(std::string_view cell);
// A whole file: the byte order mark, then each row's cells joined by commas, each row ended
// with CRLF.
std::string WriteCsv(const std::vector<std::vector<std::string>>& rows);

}  // namespace convene::calendar
