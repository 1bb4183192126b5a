# Join policy for EdgeClass live classes.
#
# input.action              "join"
# input.user.id             the joining user's id
# input.user.role           "student" | "teacher" | "school-admin" | "admin"
# input.user.school         the joining user's school (the token's school claim)
# input.user.enrolled       whether the user is enrolled in the course
# input.course.status       "active" | ...
# input.course.capacity     maximum number of students
# input.course.students     array of student ids already in the class
# input.course.teacher_id   id of the course owner
# input.course.school       the school the course belongs to
# input.class.status        "live" | "scheduled" | "ended" | "cancelled"
# input.class.seats_taken   seats other students hold in the class (across instances)
#
# A join is allowed when `allow` holds and `deny_reasons` is empty: a reason to deny
# (such as the cross-school rule below) overrides the allow rules.
package education

default allow = false

# The seed rule: a student joins an active course that still has room.
allow {
	input.action == "join"
	input.user.role == "student"
	input.course.status == "active"
	input.course.capacity > count(input.course.students)
}

# The course's own teacher may always join an active course.
allow {
	input.action == "join"
	input.user.role == "teacher"
	input.course.status == "active"
	input.user.id == input.course.teacher_id
}

# Admins may join any course.
allow {
	input.action == "join"
	input.user.role == "admin"
}

# A school admin may join any course of their own school.
allow {
	input.action == "join"
	input.user.role == "school-admin"
	input.user.school == input.course.school
}

# Schools are kept apart: nobody but the platform admin joins another school's class,
# whatever the rules above allow.
cross_school {
	input.user.role != "admin"
	input.user.school != input.course.school
}

# (a course with a school and a user without one is across schools too)
cross_school {
	input.user.role != "admin"
	input.course.school
	not input.user.school
}

deny_reasons[reason] {
	cross_school
	reason := "class of another school: only that school's users may join"
}

# A student joins only a course they are enrolled in. (Another school's student is never
# enrolled here: the cross-school reason says so instead.)
deny_reasons[reason] {
	input.user.role == "student"
	input.user.enrolled == false
	not cross_school
	reason := "not enrolled in this course"
}

# Only a live class can be joined.
deny_reasons[reason] {
	input.class.status == "scheduled"
	reason := "class has not started"
}

deny_reasons[reason] {
	input.class.status == "ended"
	reason := "class has ended"
}

deny_reasons[reason] {
	input.class.status == "cancelled"
	reason := "class was cancelled"
}

# The seats held across instances: a class is full when they are, even while the seed rule's
# count of the students seated here (input.course.students) is lower.
deny_reasons[reason] {
	input.user.role == "student"
	input.course.capacity <= input.class.seats_taken
	reason := "class is full"
}

# Readable reasons why a join is refused (empty when it is allowed).
deny_reasons[reason] {
	not allow
	input.action != "join"
	reason := "only join requests are handled by this policy"
}

deny_reasons[reason] {
	not allow
	not input.action
	reason := "action is missing"
}

deny_reasons[reason] {
	not allow
	not input.user.role
	reason := "user role is missing"
}

deny_reasons[reason] {
	not allow
	input.course.status != "active"
	reason := "course is not active"
}

deny_reasons[reason] {
	not allow
	not input.course.status
	reason := "course status is missing"
}

deny_reasons[reason] {
	not allow
	input.user.role == "student"
	input.course.capacity <= count(input.course.students)
	reason := "class is full"
}

deny_reasons[reason] {
	not allow
	input.user.role == "student"
	not input.course.capacity
	reason := "course capacity is missing"
}

deny_reasons[reason] {
	not allow
	input.user.role == "student"
	not students_listed
	reason := "course student list is missing"
}

# (a helper rule: `not is_array(input.course.students)` would be undefined, not
# true, when the field is missing, because OPA evaluates the argument first)
students_listed {
	is_array(input.course.students)
}

deny_reasons[reason] {
	not allow
	input.user.role == "teacher"
	input.user.id != input.course.teacher_id
	reason := "only the course's teacher may join as teacher"
}

deny_reasons[reason] {
	not allow
	role := input.user.role
	not known_role[role]
	reason := sprintf("only students may join as students; role %q is not allowed", [role])
}

known_role := {"student", "teacher", "school-admin", "admin"}
