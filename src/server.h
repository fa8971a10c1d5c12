/*
 * server: the FastCGI responder. FCGX_Init, one listening socket, `threads`
 * worker threads each with its own LDAP and SQL session and an
 * FCGX_Accept_r loop. SIGTERM/SIGINT stop it: the listening socket is shut
 * down so no thread stays blocked in accept, requests in flight finish, and
 * server_run returns. SIGHUP loads config_path again: what a restart needs
 * (sockets, threads, LDAP and SQL connections) stays, the rest (origins,
 * limits, TTLs, ...) applies to the next request; a file that does not load
 * leaves the running configuration and is logged.
 */
#ifndef ACCOUNTD_SERVER_H
#define ACCOUNTD_SERVER_H

#include "config.h"

/* Serves until a stop signal. Returns the process exit status. */
int server_run(const struct config *cfg, const char *config_path);

#endif
