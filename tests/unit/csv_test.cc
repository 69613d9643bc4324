// calendar/csv.h: the RFC 4180 reader (quoting, BOM, line ends, line numbers, malformed records)
// and writer (quoting, BOM, CRLF, the CSV injection guard), and that the two round-trip.
#include "calendar/csv.h"

#include <gtest/gtest.h>

namespace convene::calendar {
namespace {

using Cells = std::vector<std::string>;

std::vector<Cells> CellsOf(const std::vector<CsvRecord>& records) {
  std::vector<Cells> out;
  for (const CsvRecord& r : records) out.push_back(r.cells);
  return out;
}

std::vector<int> LinesOf(const std::vector<CsvRecord>& records) {
  std::vector<int> out;
  for (const CsvRecord& r : records) out.push_back(r.line);
  return out;
}

TEST(ReadCsv, ReadsWhatSpreadsheetsWrite) {
  struct Case {
    const char* name;
    std::string text;
    std::vector<Cells> want;
  } cases[] = {
      {"plain LF",
       "name,email\nAnn,ann@example.org\n",
       {{"name", "email"}, {"Ann", "ann@example.org"}}},
      {"CRLF", "a,b\r\nc,d\r\n", {{"a", "b"}, {"c", "d"}}},
      {"lone CR (old Mac)", "a,b\rc,d", {{"a", "b"}, {"c", "d"}}},
      {"no final line break", "a,b\nc,d", {{"a", "b"}, {"c", "d"}}},
      {"BOM dropped", "\xEF\xBB\xBFname,email\n", {{"name", "email"}}},
      {"quoted comma", "\"Cooper, Ian\",x\n", {{"Cooper, Ian", "x"}}},
      {"doubled quotes", "\"Ian \"\"Coop\"\" Cooper\",x\n", {{"Ian \"Coop\" Cooper", "x"}}},
      {"line break inside quotes kept", "\"line 1\r\nline 2\",x\r\n", {{"line 1\r\nline 2", "x"}}},
      {"empty quoted cell", "\"\",b\n", {{"", "b"}}},
      {"empty cells", "a,,c,\n", {{"a", "", "c", ""}}},
      {"separators only", ",,\n", {{"", "", ""}}},
      {"blank lines skipped", "a\n\n\r\nb\n", {{"a"}, {"b"}}},
      {"spaces kept", " a , b \n", {{" a ", " b "}}},
      {"quote inside an unquoted cell kept", "O\"Neil,x\n", {{"O\"Neil", "x"}}},
      {"non-ASCII bytes kept", "Zoë Ångström,李\n", {{"Zoë Ångström", "李"}}},
      {"empty text", "", {}},
  };
  for (const Case& c : cases) {
    const auto records = ReadCsv(c.text);
    EXPECT_EQ(CellsOf(records), c.want) << c.name;
    for (const CsvRecord& r : records) EXPECT_EQ(r.error, "") << c.name;
  }
}

TEST(ReadCsv, NumbersRecordsByTheLineOfTheFileTheyStartOn) {
  // Line 2 holds a cell over three lines; blank lines count as lines too.
  const auto records = ReadCsv("h1,h2\r\n\"a\r\nb\nc\",x\r\n\r\nd,e\nf,g");
  EXPECT_EQ(LinesOf(records), (std::vector<int>{1, 2, 6, 7}));
  EXPECT_EQ(records[1].cells, (Cells{"a\r\nb\nc", "x"}));
}

TEST(ReadCsv, ReportsMalformedRecordsAndReadsOn) {
  const auto records = ReadCsv("a,b\n\"x\"y,z\nok,1\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_NE(records[1].error.find("after the closing quote"), std::string::npos);
  EXPECT_EQ(records[1].error_cell, 0u);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].cells, (Cells{"ok", "1"}));
  EXPECT_EQ(records[2].error, "");

  // A quote never closed takes the rest of the file, and says where it opened.
  const auto open = ReadCsv("a,b\nc,\"d\ne,f\n");
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[1].line, 2);
  EXPECT_EQ(open[1].error_cell, 1u);
  EXPECT_NE(open[1].error.find("opened on line 2 is never closed"), std::string::npos)
      << open[1].error;
}

TEST(CsvCell, QuotesOnlyWhenItMustAndGuardsFormulas) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"Ian Cooper", "Ian Cooper"},
      {"Cooper, Ian", "\"Cooper, Ian\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"cr\rhere", "\"cr\rhere\""},
      {" padded", "\" padded\""},
      {"", ""},
      {"Zoë", "Zoë"},
      // The injection guard: a leading = + - @ (or TAB, CR) is shown as text.
      {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
      {"=1+2", "'=1+2"},
      {"+44 20 7946 0000", "'+44 20 7946 0000"},
      {"-3", "'-3"},
      {"@SUM(A1)", "'@SUM(A1)"},
      {"\tx", "'\tx"},
      {"a=b", "a=b"},
      {"3", "3"},
  };
  for (const Case& c : cases) EXPECT_EQ(CsvCell(c.in), c.want) << c.in;
}

TEST(WriteCsv, WritesBomAndCrlfAndReadsBack) {
  const std::vector<Cells> rows = {{"name", "organisation"},
                                   {"Cooper, Ian", "Hampshire \"CC\""},
                                   {"Zoë", ""},
                                   {"multi\r\nline", "x"}};
  const std::string text = WriteCsv(rows);
  EXPECT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_EQ(text,
            "\xEF\xBB\xBFname,organisation\r\n\"Cooper, Ian\",\"Hampshire \"\"CC\"\"\"\r\nZoë,\r\n"
            "\"multi\r\nline\",x\r\n");
  EXPECT_EQ(CellsOf(ReadCsv(text)), rows);
}

}  // namespace
}  // namespace convene::calendar
