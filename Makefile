# SPDX-License-Identifier: GPL-2.0-or-later
# relayscope: build, tests, lint.  See README.md and docs/architecture.md.

PKGS      := glib-2.0 gio-2.0 libpcap libpsl libcares gnutls gmime-3.0 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC       ?= cc
# nids.h uses BSD types (u_char, u_int): _DEFAULT_SOURCE keeps us on C11.
STD      := -std=c11 -D_DEFAULT_SOURCE
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wvla -Werror
OPT      ?= -O2 -g
CFLAGS   += $(STD) $(WARN) $(OPT) -Iinclude $(PKG_CFLAGS) -fvisibility=hidden
LDLIBS   += -lnids $(PKG_LIBS)

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
# GCC 12's LeakSanitizer crashes at exit in processes with dynamic TLS
# (GnuTLS after STARTTLS; google/sanitizers#1322); this hides no leak.
export ASAN_OPTIONS ?= intercept_tls_get_addr=0
endif

BUILD    := build

# Modules that never see pcap or libnids (unit-testable with byte strings).
CORE_SRC := src/log.c src/anomaly.c src/budget.c src/linebuf.c src/smtp_reply.c \
            src/smtp_cmd.c src/dialogue.c src/smtp_session.c src/output.c \
            src/output_text.c src/output_json.c src/output_zeek.c src/jsonw.c src/relay_texts.c \
            src/causes.c src/diagnosis.c src/select.c src/message.c \
            src/address.c src/relay.c src/relay_config.c src/onward.c \
            src/dns.c src/detect.c \
            src/helo_check.c src/helo_report.c src/tls.c src/proxy.c \
            src/community_id.c src/gunzip.c src/mime.c src/extract.c
# Modules bound to the capture libraries, and the CLI.
NET_SRC  := src/packet.c src/pcapng.c src/capture.c src/savefile.c src/stream.c \
            src/resolve.c             src/replay.c src/options.c src/main.c

CORE_OBJ := $(CORE_SRC:src/%.c=$(BUILD)/%.o)
NET_OBJ  := $(NET_SRC:src/%.c=$(BUILD)/%.o)
# -j N: the dialogue codec (no pcap, no libnids), the workers.
CORE_SRC += src/dlg_codec.c
CORE_OBJ += $(BUILD)/dlg_codec.o
NET_OBJ  += $(BUILD)/jobs.o

UNIT_TESTS := linebuf smtp-reply smtp-cmd smtp-session output packet detect \
              relay-texts address relay dns helo-check budget tls proxy jsonw \
              diagnosis select message community-id gunzip mime
UNIT_BIN   := $(UNIT_TESTS:%=$(BUILD)/test-%)
# -j N (docs/architecture.md, "Parallel runs"): the dialogue codec, the
# workers and their merge.
UNIT_BIN   += $(BUILD)/test-dlg-codec

.SECONDARY:
.PHONY: all check check-unit check-golden check-errors demo clean lint fuzz bench \
        update-golden deps
all: relayscope

relayscope: $(CORE_OBJ) $(NET_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) $(wildcard src/*.h) | $(BUILD)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/test-%.o: tests/unit/test-%.c $(wildcard include/*.h) | $(BUILD)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/test-packet: $(BUILD)/test-packet.o $(CORE_OBJ) $(BUILD)/packet.o
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test-%: $(BUILD)/test-%.o $(CORE_OBJ)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

# The whole suite: unit tests (GTest, TAP), golden tests, bad-input tests.
# tests/run-all.sh sums them into one final "N passed, N failed" line.
check: relayscope $(UNIT_BIN) $(BUILD)/nids-floor
	@sh tests/run-all.sh $(UNIT_BIN)

check-unit: $(UNIT_BIN)
	@sh tests/run-all.sh --only unit $(UNIT_BIN)

check-golden: relayscope
	@sh tests/run-golden.sh

check-errors: relayscope
	@sh tests/run-errors.sh

update-golden: relayscope
	@sh tests/update-golden.sh $(NAME)

# Analyse a shipped capture (the README's first command ends here).
demo: relayscope
	./relayscope pcaps/postfix-open-relay-onward.pcap

# Speed and memory against targets, as ratios against bare libnids
# reassembly of the same file in the same run (docs/performance.md, "The
# benchmark").  A report: exits 0 whatever the targets do, unless
# BENCH_STRICT=1; BENCH_QUICK=1 for a smoke run, BENCH_REPS=N runs each.
bench: relayscope $(BUILD)/nids-floor
	@python3 tests/bench/run-bench.py

# The benchmark's floor: bare libnids reassembly of the same file.
$(BUILD)/nids-floor: tests/bench/nids-floor.c | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(STD) $(WARN) -O2 $(PKG_CFLAGS) -o $@ $< -lnids $(PKG_LIBS)

# libFuzzer (clang) on the SMTP machine, on passive DNS with the EHLO
# check, on the pcapng reader, on the proxy preamble parser and the MIME
# scanner (whole and in pieces must agree) and on the JSON writer (read back by
# json-glib); FUZZ_SECONDS bounds each run.  The seeds
# are derived from pcaps/ each time (tests/fuzz/seeds.py); what a run
# learns stays in build/fuzz-corpus-NAME for the next.  Any finding (a
# crash, a sanitizer report, undefined behaviour, a leak, a timeout or
# running out of memory) stops make with a non-zero status and leaves its
# input in build/fuzz-NAME-*.
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN := 4096
# json-glib reads back what the JSON writer wrote (an oracle the program
# itself does not link).
FUZZ_PKG_CFLAGS = $(shell pkg-config --cflags json-glib-1.0)
FUZZ_PKG_LIBS = $(shell pkg-config --libs json-glib-1.0)
FUZZERS := smtp-session dns pcapng proxy jsonw mime
fuzz:
	python3 tests/fuzz/seeds.py $(BUILD)/fuzz-seeds $(FUZZ_MAX_LEN)
	for f in $(FUZZERS); do \
	    mkdir -p $(BUILD)/fuzz-corpus-$$f && \
	    clang $(STD) -g -O1 -fsanitize=fuzzer,address,undefined \
	        -fno-sanitize-recover=all -Iinclude \
	        $(PKG_CFLAGS) $(FUZZ_PKG_CFLAGS) -o $(BUILD)/fuzz-$$f \
	        tests/fuzz/fuzz-$$f.c $(CORE_SRC) src/pcapng.c $(PKG_LIBS) \
	        $(FUZZ_PKG_LIBS) && \
	    $(BUILD)/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=$(FUZZ_MAX_LEN) -timeout=30 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz-$$f- \
	        $(BUILD)/fuzz-corpus-$$f $(BUILD)/fuzz-seeds/$$f || exit 1; \
	done
# And the dialogue codec of -j N, which the parent runs on what its
# workers write: decoded, a dialogue encodes and renders as it did.
FUZZERS += dlg-codec

lint:
	clang-format --dry-run --Werror src/*.c include/*.h tests/unit/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --library=gtk \
	    --inline-suppr -Iinclude src

clean:
	rm -rf $(BUILD) relayscope tests/NEW tests/DIFF
