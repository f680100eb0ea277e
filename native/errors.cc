#include "errors.h"

namespace pof {

std::string CleanMessage(const std::string& what) {
  // "Exception raised from ..." starts LibTorch's source location / backtrace block.
  auto cut = what.find("\nException raised from");
  std::string msg = what.substr(0, cut);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

std::string DescribeCurrentException() {
  try {
    throw;
  } catch (const c10::Error& e) {
    return CleanMessage(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return CleanMessage(e.what());
  } catch (...) {
    return "unknown native error";
  }
}

}  // namespace pof
