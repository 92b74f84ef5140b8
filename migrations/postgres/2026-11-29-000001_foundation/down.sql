DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
DROP TABLE users;
DROP TABLE regions;
