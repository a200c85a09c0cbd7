# dtcpctl: command-line DTCP control source (issue 7). Plain C++ (no SystemC): reuses the
# firmware's DTCP message/HMAC code, Boost.Asio for UDP, CLI11, nlohmann-json.
add_executable(dtcpctl ${CMAKE_CURRENT_LIST_DIR}/dtcpctl.cpp)
target_link_libraries(dtcpctl PRIVATE dfc_firmware CLI11::CLI11 Boost::headers Threads::Threads
                      nlohmann_json::nlohmann_json)
dfc_warnings(dtcpctl)

# `dfcsim serve` (issue 7): tools/dfcsim.cpp calls add_serve_subcommand() under DFC_HAVE_SERVE.
# Wired here (unless tools/CMakeLists.txt already did) so the subcommand needs no other edit.
if(TARGET dfcsim AND TARGET dfc_serve AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/serve_cmd.cpp AND NOT DFC_HAVE_SERVE)
  target_sources(dfcsim PRIVATE ${CMAKE_CURRENT_LIST_DIR}/serve_cmd.cpp)
  target_link_libraries(dfcsim PRIVATE dfc_serve)
  target_compile_definitions(dfcsim PRIVATE DFC_HAVE_SERVE=1)
endif()
target_include_directories(dtcpctl PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_BINARY_DIR}/generated)
add_dependencies(dtcpctl dfc_version)
