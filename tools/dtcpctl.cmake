# dtcpctl: command-line DTCP control source (issue 7). Plain C++ (no SystemC): reuses the
# firmware's DTCP message/HMAC code, Boost.Asio for UDP, CLI11, nlohmann-json.
add_executable(dtcpctl ${CMAKE_CURRENT_LIST_DIR}/dtcpctl.cpp)
target_link_libraries(dtcpctl PRIVATE dfc_firmware CLI11::CLI11 Boost::headers Threads::Threads
                      nlohmann_json::nlohmann_json)
dfc_warnings(dtcpctl)
