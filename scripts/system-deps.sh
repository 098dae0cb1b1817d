#!/usr/bin/env sh
# System packages some tests use (Chromium, Java); never fails the build. The browser tests of
# `lingrad explore` (tests/test_explore.py) drive Debian's chromium headless: install it
# and its driver when missing and we are root with apt-get, else say why they will skip.
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    :
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
        || echo "note: could not install chromium and chromium-driver; the browser tests will skip"
else
    echo "note: chromium/chromedriver missing and not root with apt-get; the browser tests of lingrad explore will skip"
fi
# The Spark tests (tests/test_spark.py) need a Java runtime for pyspark's JVM.
if java -version >/dev/null 2>&1; then
    :
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
        || echo "note: could not install openjdk-17-jre-headless; the Spark tests will skip"
else
    echo "note: java missing and not root with apt-get; the Spark tests will skip"
fi
exit 0
