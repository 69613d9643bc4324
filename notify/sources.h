// The clock and the random source every service is given (architecture idea 5: injected, so tests
// are exact), defined once for notify/ and server/. Thread-safe: both real ones may be called
// from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace convene::notify {

// Unix seconds now.
using Clock = std::function<int64_t()>;
// Fills the buffer with unpredictable bytes.
using RandomSource = std::function<void(unsigned char*, size_t)>;

// The system clock (std::chrono::system_clock).
Clock SystemClock();
// libsodium's randombytes_buf (initialises libsodium on first use).
RandomSource SystemRandom();

}  // namespace convene::notify
