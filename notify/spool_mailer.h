// SpoolMailer: the embedded default transport. Each message becomes one .eml file in a folder,
// holding exactly the RFC 5322 bytes SMTP would carry.
//
// A file appears whole or not at all: the bytes go to a hidden temp file, are fsync'd, renamed
// to `<message-id>.eml`, and the folder is fsync'd. The name comes from the Message-ID, so a
// retry after a crash rewrites the same file: the spool never holds a duplicate.
//
// Threads: one Send at a time (the worker); distinct SpoolMailers may share a folder.
#pragma once

#include <string>

#include "notify/mailer.h"

namespace convene::notify {

class SpoolMailer : public Mailer {
 public:
  // `dir` is created (with parents) on first use.
  explicit SpoolMailer(std::string dir) : dir_(std::move(dir)) {}
  // Disk full or unwritable: transient (kUnavailable), so the row stays queued.
  Status Send(const Envelope& envelope, std::string_view bytes) override;
  std::string Describe() const override { return "spool " + dir_; }
  // The file a message with this Message-ID is written to.
  std::string PathFor(const std::string& message_id) const;

 private:
  std::string dir_;
};

}  // namespace convene::notify
