// The firmware's one way to report a fatal error. On the host (built with exceptions) it
// throws E, so callers and tests catch it as before. The card image is built without
// exceptions (firmware/image, docs/iss.md): there is nothing to unwind to on the card, so the
// same call ends the image with the message (console + halt code) instead of failing silently.
#pragma once
#include <string>
#include <utility>

namespace dfc {

// The message an E built from these arguments would carry (its what()). Types whose
// constructor is not a single message overload raise_message for their own Tag.
template <class E>
struct RaiseTag {};
template <class E>
std::string raise_message(RaiseTag<E>, std::string what) {
  return what;
}
template <class E>
std::string raise_message(RaiseTag<E>) {
  return "out of memory";
}

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
template <class E, class... A>
[[noreturn]] void raise(A&&... args) {
  throw E(std::forward<A>(args)...);
}
#else
// Defined by the image's runtime (firmware/image/runtime.cpp): prints and halts.
[[noreturn]] void fatal_error(const char* message);
template <class E, class... A>
[[noreturn]] void raise(A&&... args) {
  const std::string m = raise_message(RaiseTag<E>{}, std::forward<A>(args)...);
  fatal_error(m.c_str());
}
#endif

}  // namespace dfc
