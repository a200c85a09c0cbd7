# install() rules and the Debian package (CPack). Layout under the prefix:
#   bin/dfcsim, bin/dtcpctl
#   share/dfcsim/scenarios/...      scenario files, their configurations and DTCP scripts
#   share/dfcsim/regress.list       the regression list (`dfcsim regress` finds it next to bin/)
#   share/dfcsim/wireshark/dtcp.lua the DTCP dissector (tshark -X lua_script:...)
#   share/doc/dfcsim/               README and docs/
# Card profiles (ms3, ms400) are compiled into dfcsim (model/card/profile.cpp): no files.
include(GNUInstallDirs)
install(TARGETS dfcsim dtcpctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/testbench/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/dfcsim/scenarios)
install(FILES ${PROJECT_SOURCE_DIR}/testbench/regress.list DESTINATION ${CMAKE_INSTALL_DATADIR}/dfcsim)
install(FILES ${PROJECT_SOURCE_DIR}/tools/wireshark/dtcp.lua DESTINATION ${CMAKE_INSTALL_DATADIR}/dfcsim/wireshark)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dfcsim)
set(CPACK_PACKAGE_VENDOR "dfcsim")
set(CPACK_PACKAGE_CONTACT "dfcsim maintainers <dfcsim@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "hardware-in-the-loop simulator of a dynamic-flow-capture service card")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Run-time libraries (libsystemc, libpcap, libssl, ...) from dpkg-shlibdeps; tshark for the dissector.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "tshark, slurm-client")
set(CPACK_PACKAGE_INSTALL_DIRECTORY dfcsim)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
