# Helpers that give every numavs target the same flags.
#   vs_add_library(NAME SOURCES ... DEPS ...)   -> static library numavs_NAME, alias numavs::NAME
#   vs_add_test(NAME SOURCES ... DEPS ...)      -> GoogleTest binary registered with CTest (label unit);
#                                                  exit 77 = skipped (tests/support/gtest_main.cc)
#   vs_add_bench(NAME SOURCES ... DEPS ...)     -> Google Benchmark binary (never run by ctest)
#   vs_add_executable(NAME SOURCES ... DEPS ...)
#   vs_add_fuzzer(NAME SOURCES ... DEPS ...)    -> libFuzzer target fuzz_NAME (NUMAVS_FUZZ, the
#       `fuzz` preset), else a replay test fuzz_NAME_replay (label unit) that runs the same
#       LLVMFuzzerTestOneInput over tests/fuzz/corpus/NAME and tests/fuzz/regressions/NAME
#       (see docs/fuzzing.md)

option(NUMAVS_FUZZ "Build libFuzzer targets (clang; the fuzz preset)" OFF)

set(VS_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

function(vs_apply_common target)
  target_compile_options(${target} PRIVATE ${VS_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  if(NUMAVS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Several src/*/CMakeLists.txt silence DPDK 22.11 headers' volatile deprecation with GCC's
    # -Wno-volatile, which clang does not know (clang 16 raises nothing on those headers).
    target_compile_options(${target} PRIVATE -Wno-unknown-warning-option)
  endif()
  if(NUMAVS_FUZZ)
    # Coverage instrumentation for libFuzzer in every library; only fuzz targets link its main.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

function(vs_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(numavs_${name} STATIC ${A_SOURCES})
  add_library(numavs::${name} ALIAS numavs_${name})
  vs_apply_common(numavs_${name})
  target_link_libraries(numavs_${name} PUBLIC ${A_DEPS})
endfunction()

function(vs_add_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  vs_apply_common(${name})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

function(vs_add_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  vs_apply_common(${name})
  # Our main(), not GTest::gtest_main: it exits 77 when a test skipped and none failed, so that
  # CTest reports skips as skipped (SKIP_REGULAR_EXPRESSION would also hide failures; see there).
  if(NOT TARGET numavs_gtest_main)
    add_library(numavs_gtest_main OBJECT ${PROJECT_SOURCE_DIR}/tests/support/gtest_main.cc)
    vs_apply_common(numavs_gtest_main)
    target_link_libraries(numavs_gtest_main PRIVATE GTest::gtest)
  endif()
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest numavs_gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  set(labels unit ${A_LABELS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 300 SKIP_RETURN_CODE 77)
endfunction()

function(vs_add_bench name)
  if(NOT NUMAVS_BENCH)
    return()
  endif()
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  vs_apply_common(${name})
  target_link_libraries(${name} PRIVATE ${A_DEPS} benchmark::benchmark)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endfunction()

# One fuzz target: SOURCES define LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize).
set(VS_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR}/../tests/fuzz)
function(vs_add_fuzzer name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  get_filename_component(fuzz_dir ${VS_FUZZ_DIR} ABSOLUTE)
  if(NUMAVS_FUZZ)
    set(exe fuzz_${name})
    add_executable(${exe} ${A_SOURCES})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
  else()
    set(exe fuzz_${name}_replay)
    add_executable(${exe} ${A_SOURCES} ${fuzz_dir}/replay_main.cc)
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
    add_test(NAME ${exe} COMMAND ${exe} ${fuzz_dir}/corpus/${name} ${fuzz_dir}/regressions/${name})
    set_tests_properties(${exe} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
  endif()
  vs_apply_common(${exe})
  target_compile_definitions(${exe} PRIVATE NUMAVS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${exe} PRIVATE ${A_DEPS})
endfunction()
