// dfcsim's own translation unit next to the shared objects (tools/CMakeLists.txt): the plain
// build has no race-checker runtime (dfcsim-race links model/race/tsan_hooks.cpp in its place).
namespace dfc::race {
extern const bool kPlainBuild = true;
}  // namespace dfc::race
