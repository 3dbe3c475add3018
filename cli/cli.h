/*
 * cli.h - pieces shared by the `wasmbox` command's subcommands.
 */
#ifndef WB_CLI_H
#define WB_CLI_H

#include "wasmbox.h"

#include <stddef.h>
#include <stdint.h>

/* Whole file into a malloc'd buffer; NULL (and a message on stderr) on error. */
uint8_t *cli_read_file(const char *path, size_t *len);

/* Parse text as a value of `type` (decimal or 0x hex integers, floats as
 * strtod accepts them, including nan and inf).  Returns 0 on success. */
int cli_parse_value(uint8_t type, const char *text, wb_val *out);
/* Print a value the way `wasmbox invoke` does: i32 signed, floats with
 * enough digits to read back the same bits. */
void cli_print_value(const wb_val *v);

/* Print err (message and backtrace) to stderr, prefixed with "wasmbox: ". */
void cli_print_error(const char *path, const wb_error *err);

/* A .wasm or .wat file as a module; NULL after printing why. */
wb_module *cli_load(const char *path);

int cli_wast(int argc, char **argv);
/* `wasmbox run`: a WASI program (run.c). */
int cli_run(int argc, char **argv);
/* `wasmbox sandbox ...`: the client of wasmboxd (sandbox.c). */
int cli_sandbox(int argc, char **argv);
/* `wasmbox image build`: an OCI image of a WASI program (image.c). */
int cli_image(int argc, char **argv);

#endif
