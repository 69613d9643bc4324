#include "calendar/csv.h"

namespace convene::calendar {

namespace {

// The length of the line break at text[at] (CRLF, LF or a lone CR), or 0.
size_t LineBreak(std::string_view text, size_t at) {
  if (at >= text.size()) return 0;
  if (text[at] == '\n') return 1;
  if (text[at] != '\r') return 0;
  return at + 1 < text.size() && text[at + 1] == '\n' ? 2 : 1;
}

}  // namespace

std::vector<CsvRecord> ReadCsv(std::string_view text) {
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  std::vector<CsvRecord> out;
  const size_t n = text.size();
  size_t i = 0;
  int line = 1;
  while (i < n) {
    if (size_t k = LineBreak(text, i)) {  // an empty line: no record
      i += k;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    const auto fail = [&rec](std::string message) {
      if (!rec.error.empty()) return;
      rec.error = std::move(message);
      rec.error_cell = rec.cells.size();
    };
    for (;;) {  // one cell per turn, starting at text[i]
      std::string cell;
      if (i < n && text[i] == '"') {
        const int opened = line;
        bool closed = false;
        for (++i; i < n;) {
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              cell += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (size_t k = LineBreak(text, i)) {
            cell.append(text.substr(i, k));
            i += k;
            ++line;
            continue;
          }
          cell += text[i++];
        }
        if (!closed) {
          fail("the quote opened on line " + std::to_string(opened) +
               " is never closed: the rest of the file is in that cell");
        } else if (i < n && text[i] != ',' && !LineBreak(text, i)) {
          fail(
              "text after the closing quote of a cell: quote the whole cell and double the quotes "
              "inside it");
          while (i < n && text[i] != ',' && !LineBreak(text, i)) cell += text[i++];
        }
      } else {
        while (i < n && text[i] != ',' && !LineBreak(text, i)) cell += text[i++];
      }
      rec.cells.push_back(std::move(cell));
      if (i < n && text[i] == ',') {
        ++i;
        continue;  // another cell follows, empty when the record ends here
      }
      if (size_t k = LineBreak(text, i)) {
        i += k;
        ++line;
      }
      break;
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::string CsvCell(std::string_view cell) {
  std::string v;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    v = "'";
  v.append(cell);
  const bool quote = v.find_first_of(",\"\r\n") != std::string::npos ||
                     (!v.empty() && (v.front() == ' ' || v.back() == ' '));
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string WriteCsv(const std::vector<std::vector<std::string>>& rows) {
  std::string out(kUtf8Bom);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      out += CsvCell(row[i]);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace convene::calendar
