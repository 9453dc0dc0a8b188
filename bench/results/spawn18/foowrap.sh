#!/bin/bash
unset FOO_TEST
exec "$@"
