#pragma once
/// \file device.h
/// Where a tensor's memory lives: `Device::cpu()` or `Device::cuda(n)`.
#include <cstdint>
#include <ostream>
#include <string>

namespace strata {

enum class DeviceType : uint8_t { CPU, CUDA };

/// A device: the CPU, or one CUDA GPU by index. Prints as "cpu" or "cuda:0".
struct Device {
  DeviceType type = DeviceType::CPU;
  int16_t index = 0;

  static constexpr Device cpu() { return {DeviceType::CPU, 0}; }
  static constexpr Device cuda(int index = 0) { return {DeviceType::CUDA, static_cast<int16_t>(index)}; }
  /// Parses "cpu", "cuda" or "cuda:N".
  static Device parse(const std::string& text);

  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  constexpr bool operator==(const Device&) const = default;
};

std::ostream& operator<<(std::ostream& os, Device device);

/// True when strata was built with CUDA and a GPU is present.
bool cuda_is_available();

}  // namespace strata
