"""The course's link to its LMS (LTI 1.3): students and instructors arrive from the LMS (launch.py,
run by the hub), and each score goes back to the LMS gradebook (passback.py, run as the instructor);
where no LTI link exists, gradebook import files for Canvas and Moodle (export.py)."""
