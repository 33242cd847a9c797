"""The opencrypto framework (sys/opencrypto): sessions, requests, drivers, cryptosoft."""
