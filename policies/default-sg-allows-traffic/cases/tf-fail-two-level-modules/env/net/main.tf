resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "spare" {
  cidr_block = "10.1.0.0/16"
}

output "main_vpc_id" {
  value = aws_vpc.main.id
}

output "spare_vpc_id" {
  value = aws_vpc.spare.id
}
