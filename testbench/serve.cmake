# `dfcsim serve` (issue 7): the card in real time with its control unit on UDP sockets.
add_library(dfc_serve STATIC ${CMAKE_CURRENT_LIST_DIR}/src/serve.cpp)
target_link_libraries(dfc_serve PUBLIC dfc_harness Boost::headers Threads::Threads)
dfc_warnings(dfc_serve)
