#include "strata/device.h"

#include "strata/error.h"

namespace strata {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    int index = 0;
    for (size_t i = 5; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9' || index > 1000)
        fail("[Device] cannot parse '{}': expected 'cpu', 'cuda' or 'cuda:N'", text);
      index = index * 10 + (text[i] - '0');
    }
    return cuda(index);
  }
  fail("[Device] cannot parse '{}': expected 'cpu', 'cuda' or 'cuda:N'", text);
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::ostream& operator<<(std::ostream& os, Device device) { return os << device.str(); }

bool cuda_is_available() { return false; }

}  // namespace strata
