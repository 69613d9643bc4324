#include "notify/spool_mailer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace convene::notify {
namespace {

Status Errno(const std::string& what) { return Transient(what + ": " + std::strerror(errno)); }

Status WriteAll(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("spool write");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string SpoolMailer::PathFor(const std::string& message_id) const {
  std::string name;
  for (char c : message_id) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')
      name += c;
    else if (c == '@')
      name += '_';
  }
  if (name.empty() || name[0] == '.') name = "m" + name;
  return dir_ + "/" + name + ".eml";
}

Status SpoolMailer::Send(const Envelope& env, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Transient("cannot create spool folder: " + ec.message());
  const std::string path = PathFor(env.message_id);
  const std::string tmp = dir_ + "/." + std::filesystem::path(path).filename().string() + "." +
                          std::to_string(getpid()) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("spool open");
  Status st = WriteAll(fd, bytes);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("spool fsync");
  if (::close(fd) != 0 && st.ok()) st = Errno("spool close");
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Errno("spool rename");
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    // The rename is durable only once the folder is synced.
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Errno("spool folder fsync");
  }
  return Status::Ok();
}

}  // namespace convene::notify
