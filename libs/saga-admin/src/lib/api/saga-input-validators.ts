/**
 * Per-saga input validation at the API's door: a saga name can be given a class-validator DTO, and
 * `POST /api/sagas` refuses an input that does not match it with a 400 naming the field
 * (`input.items[0].qty`), before anything is stored. Sagas without a DTO take any JSON.
 */
import { Injectable } from '@nestjs/common';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { validatePlain, validationException } from '../http/validation.js';

@Injectable()
export class SagaInputValidators {
  private readonly dtos = new Map<string, new () => object>();

  register(sagaName: string, dto: new () => object): void {
    this.dtos.set(sagaName, dto);
  }

  /** Throws a 400 `SAGA_INPUT_INVALID` when the saga has a DTO and the input does not match it. */
  async validate(sagaName: string, input: unknown): Promise<void> {
    const dto = this.dtos.get(sagaName);
    if (!dto) return;
    const problems = await validatePlain(dto, input, 'input');
    if (problems.length > 0) throw validationException(problems, SAGA_ERROR_CODES.SAGA_INPUT_INVALID);
  }
}
