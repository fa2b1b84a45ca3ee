# SPDX-License-Identifier: MIT
#
# man/module.mk - the man pages: man/<name>.<section>.scd (scdoc(5)) -> $(BUILD)/man/<name>.<section>.
# @VERSION@ (the tracer's --version) and the install paths (@BINDIR@, @LIBEXECDIR@, @DOCDIR@,
# @COMPLETIONSDIR@, from the top-level Makefile) are filled in; a change of any of them rebuilds
# the pages. The date is SOURCE_DATE_EPOCH (dpkg-buildpackage sets it from debian/changelog),
# else the last commit's, so a rebuild of the same tree gives the same pages.
#
#   make man        build the pages (needs scdoc: Debian package scdoc)
#   man -l build/man/cloexec-trace.8

SCDOC     ?= $(shell command -v scdoc 2>/dev/null)
MAN_SRCS  := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
MAN_VARS   = $(VERSION)|$(BINDIR)|$(PKGLIBEXECDIR)|$(DOCDIR)|$(COMPLETIONSDIR)
MAN_DATE  ?= $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null))

# `make all` builds the pages when scdoc is installed (make deps installs it); `make man` and
# `make install` need them.
ifneq ($(SCDOC),)
DOCS += $(MAN_PAGES)
endif

.PHONY: man FORCE
FORCE:
man: $(MAN_PAGES)

# Rewritten only when the values change, so the pages rebuild exactly then.
$(BUILD)/man/.vars: FORCE | $(BUILD)/.build-root
	$(Q)mkdir -p $(@D) && v='$(MAN_VARS)' && { [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || \
		printf '%s\n' "$$v" > $@; }

$(BUILD)/man/%: man/%.scd $(BUILD)/man/.vars
	$(call msg,SCDOC,$@)
	$(Q)test -n '$(SCDOC)' || { echo "make: scdoc is needed for the man pages:" \
		"apt-get install scdoc (or make deps)" >&2; exit 2; }
	$(Q)test -n '$(VERSION)' || { echo "make: no VERSION found in bpf/" >&2; exit 2; }
	$(Q)sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@LIBEXECDIR@|$(PKGLIBEXECDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
		-e 's|@COMPLETIONSDIR@|$(COMPLETIONSDIR)|g' $< | \
		$(if $(MAN_DATE),SOURCE_DATE_EPOCH=$(MAN_DATE)) $(SCDOC) > $@.tmp && mv $@.tmp $@
