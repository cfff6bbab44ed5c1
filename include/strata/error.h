#pragma once
/// \file error.h
/// strata reports every misuse with a `strata::Error`. Messages begin with the op or module path in
/// brackets, say what was expected and what was given, and how to fix it.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace strata {

/// The one exception type strata throws for bad input or misuse.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Throws `strata::Error` with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace strata

/// Checks a condition and throws `strata::Error` with a fmt-formatted message when it does not hold.
#define STRATA_CHECK(cond, ...)               \
  do {                                        \
    if (!(cond)) ::strata::fail(__VA_ARGS__); \
  } while (0)
