#include "notify/sources.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace convene::notify {

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

RandomSource SystemRandom() {
  if (sodium_init() < 0) spdlog::critical("libsodium failed to initialise");
  return [](unsigned char* buf, size_t n) { randombytes_buf(buf, n); };
}

}  // namespace convene::notify
