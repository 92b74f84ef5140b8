DROP TABLE photo_checks;
DROP TABLE photo_files;
